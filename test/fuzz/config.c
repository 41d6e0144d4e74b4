/*
 * config.c (fuzz): the parsers of configuration values (src/core/config_value.c and config.c):
 * durations, sizes, listen addresses, port lists, host lists, host names, and faas_config_set on
 * every setting, the way faas.conf.lua and the environment (SERVER_PORT, MAX_FILE_SIZE,
 * ALLOWLIST, ...) hand them values. Input: one byte choosing the parser (and for
 * faas_config_set, one more choosing the setting), then the value: text, or 8 bytes of a double
 * for a Lua number, or '\n'-separated items for a Lua list.
 * Properties: durations and sizes are 0 to 9e15 and read back the same from how `faas check`
 * prints them; hosts are valid lower-case names or "*." patterns; ports are 1..65535; a set
 * setting prints within its item's room.
 */
#include "fuzz.h"
#include "faas/core/config.h"
#include "core/internal.h"

#include <ctype.h>

FUZZ_QUIET_INIT

static size_t n_settings(void)
{
    static size_t n;
    if (n == 0) {
        faas_config_t *cfg = faas_config_new();
        faas_config_item_t item;
        while (faas_config_item(cfg, n, &item) == 0)
            n++;
        faas_config_unref(cfg);
    }
    return n;
}

/* A duration or size (duration 1/0) read back from how faas check prints it. */
static void check_printed(int64_t v, int duration)
{
    FUZZ_CHECK(v >= 0 && v <= (int64_t)9e15);
    char text[64];
    faas_core__human(v, duration, text, sizeof(text));
    if (!duration && strstr(text, " bytes") != NULL)
        return; /* "5 bytes" is for people: sizes below a KiB multiple are written as plain numbers */
    int64_t back = -1;
    faas_config_value_t tv = faas_core__string_value(text);
    FUZZ_CHECK((duration ? faas_config_parse_duration(&tv, &back) : faas_config_parse_size(&tv, &back)) == 0);
    FUZZ_CHECK(back == v);
}

static void check_hosts(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *h = strncmp(list[i], "*.", 2) == 0 ? list[i] + 2 : list[i];
        FUZZ_CHECK(faas_core__valid_hostname(h));
        for (const char *c = list[i]; *c != '\0'; c++)
            FUZZ_CHECK(!isupper((unsigned char)*c));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    unsigned which = fuzz_byte(&in) % 10, setting = fuzz_byte(&in);
    char *text = fuzz_strdup(in.p, in.len);
    faas_config_value_t v = faas_core__string_value(text);
    if (which == 2 || which == 3) { /* a Lua number */
        double d = 0;
        memcpy(&d, in.p, in.len < sizeof(d) ? in.len : sizeof(d));
        v = (faas_config_value_t){.type = FAAS_CV_NUMBER, .n = d};
    }
    /* The same text as a Lua list of strings (items point into a second copy). */
    char *items_text = fuzz_strdup(in.p, in.len);
    faas_config_value_t items[16];
    size_t n_items = 0;
    for (char *save = NULL, *tok = strtok_r(items_text, "\n", &save); tok != NULL && n_items < 16;
         tok = strtok_r(NULL, "\n", &save))
        items[n_items++] = faas_core__string_value(tok);
    faas_config_value_t list = {.type = FAAS_CV_LIST, .items = items, .n_items = n_items};
    faas_error_t err = {0};
    int64_t out;
    switch (which) {
    case 0:
    case 2:
        if (faas_config_parse_duration(&v, &out) == 0)
            check_printed(out, 1);
        break;
    case 1:
    case 3:
        if (faas_config_parse_size(&v, &out) == 0)
            check_printed(out, 0);
        break;
    case 4: {
        faas_listen_t l = {"", 0};
        if (faas_core__parse_listen(&l, &v, &err) == FAAS_OK) {
            char buf[128];
            FUZZ_CHECK(l.port >= 0 && l.port <= 65535 && strlen(l.host) < sizeof(l.host));
            faas_config_format_listen(&l, buf, sizeof(buf));
        }
        break;
    }
    case 5: {
        static uint8_t bitmap[65536 / 8];
        char buf[256];
        if (faas_core__parse_ports(bitmap, setting & 1 ? &list : &v, &err) == FAAS_OK) {
            FUZZ_CHECK((bitmap[0] & 1) == 0); /* port 0 is never reserved */
            faas_core__format_ports(bitmap, buf, sizeof(buf));
            FUZZ_CHECK(strlen(buf) < sizeof(buf));
        }
        break;
    }
    case 6: {
        char **hosts = NULL;
        size_t n = 0;
        char buf[256];
        if (faas_core__parse_hosts(&hosts, &n, setting & 1 ? &list : &v, &err) == FAAS_OK) {
            check_hosts(hosts, n);
            faas_core__format_hosts(hosts, n, buf, sizeof(buf));
            for (size_t i = 0; i < n; i++)
                free(hosts[i]);
            free(hosts);
        }
        break;
    }
    case 7:
        if (faas_core__valid_hostname(text))
            FUZZ_CHECK(strlen(text) <= 253 && text[0] != '-' && text[0] != '.');
        break;
    case 8:
    case 9: {
        faas_config_t *cfg = faas_config_new();
        faas_config_item_t item;
        FUZZ_CHECK(cfg != NULL && faas_config_item(cfg, setting % n_settings(), &item) == 0);
        if (faas_config_set(cfg, item.name, which == 8 ? &v : &list, &err) == FAAS_OK) {
            FUZZ_CHECK(faas_config_item(cfg, setting % n_settings(), &item) == 0);
            FUZZ_CHECK(strlen(item.value) < sizeof(item.value) && strcmp(item.origin, "file") == 0);
            check_hosts(cfg->allowlist, cfg->allowlist_len);
        } else {
            FUZZ_CHECK(strncmp(err.msg, item.name, strlen(item.name)) == 0); /* errors name the setting */
        }
        if (which == 9)
            (void)faas_config_nearest(text, NULL, 0);
        faas_config_unref(cfg);
        break;
    }
    }
    free(items_text);
    free(text);
    return 0;
}
