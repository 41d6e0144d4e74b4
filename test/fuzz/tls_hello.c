/*
 * tls_hello.c (fuzz): faas_tls_client_hello_sni, which reads the first bytes any client sends
 * to the HTTPS port, before the handshake. Input: those bytes. The reader gets them as an
 * exact-size heap copy, and output buffers of 256 bytes and of a small size the input picks.
 * Properties: the answer is one of the four; a host name is NUL-terminated inside the output,
 * lower case, printable, without '/' or spaces; whether more bytes are needed does not depend
 * on the output size, and a prefix of an incomplete hello is incomplete too.
 */
#include "fuzz.h"
#include "faas/tls/tls.h"

#include <ctype.h>

FUZZ_QUIET_INIT

static int sni(const uint8_t *buf, size_t len, size_t out_size, char *copy, size_t copy_size)
{
    uint8_t *in = (uint8_t *)fuzz_dup(buf, len);
    char *out = malloc(out_size);
    memset(out, 0x5a, out_size);
    int rc = faas_tls_client_hello_sni(in, len, out, out_size);
    FUZZ_CHECK(rc >= FAAS_TLS_HELLO_BAD && rc <= FAAS_TLS_HELLO_SNI);
    if (rc == FAAS_TLS_HELLO_SNI) {
        size_t n = strnlen(out, out_size);
        FUZZ_CHECK(n > 0 && n < out_size);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)out[i];
            FUZZ_CHECK(isgraph(c) && !isupper(c) && c != '/');
        }
        snprintf(copy, copy_size, "%s", out);
    }
    free(out);
    free(in);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char big[256], small[256];
    int rc = sni(data, size, sizeof(big), big, sizeof(big));
    size_t small_size = 1 + (size > 0 ? data[size - 1] % 32 : 0);
    int rc2 = sni(data, size, small_size, small, sizeof(small));
    /* Whether the hello is whole does not depend on the output (names that do not fit are skipped,
       so which name is found may). */
    FUZZ_CHECK((rc == FAAS_TLS_HELLO_MORE) == (rc2 == FAAS_TLS_HELLO_MORE));
    if (rc == FAAS_TLS_HELLO_MORE && size > 0) /* a prefix of an incomplete hello is incomplete too */
        FUZZ_CHECK(sni(data, size - 1, sizeof(small), small, sizeof(small)) == FAAS_TLS_HELLO_MORE);
    return 0;
}
