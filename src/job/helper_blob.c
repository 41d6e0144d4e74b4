/*
 * helper_blob.c: the bytes of the faas-start program (built by CMake from
 * faas-start.c), carried inside faas so there is one program to install;
 * job_warm.c writes them under data_dir for containers to mount.
 */
#include "internal.h"

/* .incbin keeps the ~700 kB out of the compiler: the assembler copies the file as is. */
__asm__(".section .rodata.faas_helper,\"a\"\n"
        ".balign 16\n"
        ".global faas_helper_bytes\n"
        "faas_helper_bytes:\n"
        ".incbin \"" FAAS_HELPER_PATH "\"\n"
        ".global faas_helper_bytes_end\n"
        "faas_helper_bytes_end:\n"
        ".previous\n");

extern const unsigned char faas_helper_bytes[], faas_helper_bytes_end[];

const unsigned char *faas_helper_program(size_t *len)
{
    *len = (size_t)(faas_helper_bytes_end - faas_helper_bytes);
    return faas_helper_bytes;
}
