/*
 * output.c: tables, errors, JSON and the control-character filter of the client (see output.h).
 * The rule: what is not a terminal gets no control characters but \n and \t, because scripts and
 * log files read it; a terminal gets colours, and never other escape sequences from a server
 * string (they could move the cursor or retitle the window). One thread.
 */
#include "faas/cli/output.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void faas_cli_out_init(faas_cli_out_t *o)
{
    const char *nc = getenv("NO_COLOR");
    o->out_tty = isatty(STDOUT_FILENO);
    o->err_tty = isatty(STDERR_FILENO);
    o->color = o->out_tty && (nc == NULL || nc[0] == '\0');
}

/* The end of a CSI sequence (final byte c): emit it when it is a colour and colours are kept. */
static size_t end_csi(faas_cli_filter_t *f, char c, char *out)
{
    size_t n = 0;
    int sgr = f->keep_sgr && c == 'm' && f->seq_len < sizeof(f->seq) - 1;
    for (size_t i = 2; sgr && i < f->seq_len; i++)
        sgr = (f->seq[i] >= '0' && f->seq[i] <= '9') || f->seq[i] == ';';
    if (sgr) {
        memcpy(out, f->seq, f->seq_len);
        n = f->seq_len;
        out[n++] = 'm';
    }
    f->state = 0;
    return n;
}

static void seq_add(faas_cli_filter_t *f, char c)
{
    if (f->seq_len < sizeof(f->seq) - 1)
        f->seq[f->seq_len++] = c;
    else
        f->seq_len = sizeof(f->seq); /* too long to be a colour: dropped */
}

size_t faas_cli_filter(faas_cli_filter_t *f, const char *in, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        switch (f->state) {
        case 0:
            if (c == 0x1b) {
                f->state = 1;
                f->seq_len = 0;
                seq_add(f, (char)c);
            } else if (c == '\n' || c == '\t' || (c == '\r' && f->keep_sgr) || (c >= 0x20 && c != 0x7f)) {
                out[n++] = (char)c;
            }
            break;
        case 1: /* after ESC */
            seq_add(f, (char)c);
            if (c == '[')
                f->state = 2;
            else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X')
                f->state = 3;
            else if (c < 0x20 || c > 0x2f) /* 0x20..0x2f are intermediates: ESC ( B */
                f->state = 0;
            break;
        case 2: /* CSI: parameters and intermediates, then a final byte */
            if (c >= 0x40 && c <= 0x7e)
                n += end_csi(f, (char)c, out + n);
            else if (c >= 0x20 && c <= 0x3f)
                seq_add(f, (char)c);
            else
                f->state = 0; /* broken: dropped */
            break;
        case 3: /* OSC, DCS, ...: up to BEL or ESC \ */
            f->state = c == 0x07 ? 0 : c == 0x1b ? 4 : 3;
            break;
        default: /* ESC inside a string */
            f->state = c == '\\' ? 0 : 3;
            break;
        }
    }
    return n;
}

void faas_cli_write_filtered(faas_cli_filter_t *f, FILE *fp, const char *data, size_t len)
{
    char buf[4096 + FAAS_CLI_FILTER_SLACK];
    for (size_t off = 0; off < len; off += 4096) {
        size_t chunk = len - off < 4096 ? len - off : 4096;
        fwrite(buf, 1, faas_cli_filter(f, data + off, chunk, buf), fp);
    }
    fflush(fp);
}

char *faas_cli_clean(const char *s, char *out, size_t size)
{
    faas_cli_filter_t f = {0};
    size_t n = 0, len = s != NULL ? strlen(s) : 0;
    char buf[256 + FAAS_CLI_FILTER_SLACK];
    for (size_t off = 0; off < len && n + 1 < size; off += 256) {
        size_t got = faas_cli_filter(&f, s + off, len - off < 256 ? len - off : 256, buf);
        for (size_t i = 0; i < got && n + 1 < size; i++)
            out[n++] = buf[i] == '\n' || buf[i] == '\t' ? ' ' : buf[i];
    }
    if (n + 1 >= size && n > 0) /* cut: not inside a UTF-8 sequence */
        while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
            n--;
    if (n > 0 && n + 1 >= size && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
        n--;
    if (size > 0)
        out[n] = '\0';
    return out;
}

int faas_cli_fail(const char *fmt, ...)
{
    char msg[2048], clean[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "faas: %s\n", faas_cli_clean(msg, clean, sizeof(clean)));
    return 1;
}

void faas_cli_print_json(const faas_cli_out_t *o, const cJSON *json)
{
    /* cJSON escapes control characters in strings, so either form is clean. */
    char *text = o->out_tty ? cJSON_Print(json) : cJSON_PrintUnformatted(json);
    if (text != NULL)
        printf("%s\n", text);
    free(text);
}

/* ---- tables ---- */

typedef struct cell {
    char *text;
    faas_cli_color_t color;
} cell_t;

struct faas_cli_table {
    cell_t *cells;
    size_t n, cap;
    size_t *row_ends; /* cells index where each row ends */
    size_t rows, rows_cap;
};

faas_cli_table_t *faas_cli_table_new(void)
{
    return calloc(1, sizeof(faas_cli_table_t));
}

void faas_cli_table_cell(faas_cli_table_t *t, const char *text, faas_cli_color_t color)
{
    char clean[512];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        cell_t *c = realloc(t->cells, cap * sizeof(*c));
        if (c == NULL)
            return;
        t->cells = c;
        t->cap = cap;
    }
    t->cells[t->n++] = (cell_t){strdup(faas_cli_clean(text != NULL && text[0] ? text : "-", clean, sizeof(clean))),
                                color};
}

void faas_cli_table_row(faas_cli_table_t *t)
{
    if (t->rows == t->rows_cap) {
        size_t cap = t->rows_cap ? t->rows_cap * 2 : 16;
        size_t *r = realloc(t->row_ends, cap * sizeof(*r));
        if (r == NULL)
            return;
        t->row_ends = r;
        t->rows_cap = cap;
    }
    t->row_ends[t->rows++] = t->n;
}

/* Characters on screen: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s != NULL && *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static const char *const sgr[] = {"", "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[2m"};

void faas_cli_table_print(faas_cli_table_t *t, const faas_cli_out_t *o)
{
    size_t widths[32] = {0};
    for (size_t r = 0, start = 0; r < t->rows; start = t->row_ends[r++])
        for (size_t i = start; i < t->row_ends[r] && i - start < 32; i++)
            if (width(t->cells[i].text) > widths[i - start])
                widths[i - start] = width(t->cells[i].text);
    for (size_t r = 0, start = 0; r < t->rows; start = t->row_ends[r++]) {
        for (size_t i = start; i < t->row_ends[r]; i++) {
            const cell_t *c = &t->cells[i];
            int last = i + 1 == t->row_ends[r], colored = o->color && (c->color != FAAS_CLI_PLAIN || r == 0);
            size_t pad = last || i - start >= 32 ? 0 : widths[i - start] - width(c->text) + 2;
            printf("%s%s%s%*s", colored ? (r == 0 ? "\x1b[1m" : sgr[c->color]) : "", c->text ? c->text : "",
                   colored ? "\x1b[0m" : "", (int)pad, "");
        }
        printf("\n");
    }
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t->row_ends);
    free(t);
}

faas_cli_color_t faas_cli_status_color(const char *status)
{
    if (status == NULL)
        return FAAS_CLI_PLAIN;
    if (strcmp(status, "running") == 0 || strcmp(status, "succeeded") == 0 || strcmp(status, "ready") == 0)
        return FAAS_CLI_GREEN;
    if (strcmp(status, "failed") == 0 || strcmp(status, "crashing") == 0)
        return FAAS_CLI_RED;
    if (strcmp(status, "building") == 0 || strcmp(status, "starting") == 0)
        return FAAS_CLI_YELLOW;
    return FAAS_CLI_DIM;
}

char *faas_cli_age(double then, double now, char *out, size_t size)
{
    double d = now - then;
    if (then <= 0)
        snprintf(out, size, "-");
    else if (d < 60)
        snprintf(out, size, "%.0fs ago", d < 0 ? 0 : d);
    else if (d < 3600)
        snprintf(out, size, "%.0fm ago", d / 60);
    else if (d < 86400)
        snprintf(out, size, "%.0fh ago", d / 3600);
    else
        snprintf(out, size, "%.0fd ago", d / 86400);
    return out;
}

const char *faas_cli_json_str(const cJSON *obj, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

double faas_cli_json_num(const cJSON *obj, const char *name, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}
