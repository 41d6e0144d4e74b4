/*
 * uuid.c: random UUIDs (libuuid reads the kernel's random source). Any thread.
 */
#include "faas/core/uuid.h"

#include <uuid/uuid.h>

char *faas_uuid_new(char out[FAAS_UUID_LEN])
{
    uuid_t uu;
    uuid_generate_random(uu);
    uuid_unparse_lower(uu, out);
    return out;
}
