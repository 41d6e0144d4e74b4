/*
 * helper_blob.c: the bytes of the faas-start program (built by CMake from
 * faas-start.c), carried inside faas so there is one program to install;
 * warm.c writes them under data_dir for containers to mount.
 */
#include "internal.h"

/* .incbin keeps the ~700 kB out of the compiler: the assembler copies the file as is. */
__asm__(".section .rodata.faas_helper,\"a\"\n"
        ".balign 16\n"
        ".global faas_job__helper_bytes\n"
        "faas_job__helper_bytes:\n"
        ".incbin \"" FAAS_HELPER_PATH "\"\n"
        ".global faas_job__helper_bytes_end\n"
        "faas_job__helper_bytes_end:\n"
        ".previous\n");

extern const unsigned char faas_job__helper_bytes[], faas_job__helper_bytes_end[];

const unsigned char *faas_job__helper_program(size_t *len)
{
    *len = (size_t)(faas_job__helper_bytes_end - faas_job__helper_bytes);
    return faas_job__helper_bytes;
}
