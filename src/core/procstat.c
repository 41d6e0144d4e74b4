/*
 * procstat.c: this process's CPU time, memory, descriptors and start time from /proc (see
 * procstat.h). Any thread; faas_procstat_parse is pure.
 */
#include "faas/core/procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int faas_procstat_parse(const char *line, long ticks, long page_size, uint64_t btime, faas_procstat_t *out)
{
    const char *p = strrchr(line, ')');
    if (p == NULL || ticks <= 0 || page_size <= 0)
        return -1;
    /* After the name: field 3 (state) onwards. */
    unsigned long long v[24] = {0};
    int field = 3, got = 0;
    p++;
    while (*p != '\0' && field <= 24) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        char *end;
        unsigned long long n = strtoull(p, &end, 10);
        if (end == p) { /* the state letter */
            while (*p != ' ' && *p != '\0')
                p++;
        } else {
            v[field - 1] = n;
            got = field;
            p = end;
        }
        field++;
    }
    if (got < 24)
        return -1;
    out->cpu_seconds = (double)(v[13] + v[14]) / (double)ticks;
    out->start_time_seconds = (double)btime + (double)v[21] / (double)ticks;
    out->virtual_bytes = v[22];
    out->resident_bytes = v[23] * (uint64_t)page_size;
    return 0;
}

static uint64_t boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    char line[256];
    unsigned long long btime = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "btime %llu", &btime) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return btime;
}

static uint64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    uint64_t n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL) {
        closedir(d);
        n--; /* the directory's own descriptor */
    }
    return n;
}

int faas_procstat_read(faas_procstat_t *out)
{
    memset(out, 0, sizeof(*out));
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        out->max_fds = rl.rlim_cur;
    out->open_fds = count_fds();
    FILE *f = fopen("/proc/self/stat", "re");
    char line[1024];
    int ok = f != NULL && fgets(line, sizeof(line), f) != NULL;
    if (f != NULL)
        fclose(f);
    if (!ok)
        return -1;
    return faas_procstat_parse(line, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time(), out);
}
