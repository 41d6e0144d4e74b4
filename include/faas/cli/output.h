/*
 * output.h: what the client prints and how. Tables with aligned columns, one-line errors on
 * stderr, JSON documents, colour only on a terminal without NO_COLOR, and the filter that keeps
 * control characters away from output that is not a terminal. The filter and the cell cleaner
 * are pure; the printers write to stdout/stderr. One thread.
 */
#ifndef FAAS_CLI_OUTPUT_H
#define FAAS_CLI_OUTPUT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* Where output goes: set once by faas_cli_out_init from isatty and NO_COLOR. */
typedef struct faas_cli_out {
    int out_tty;   /* stdout is a terminal */
    int err_tty;   /* stderr is a terminal */
    int color;     /* stdout is a terminal and NO_COLOR is unset */
} faas_cli_out_t;

void faas_cli_out_init(faas_cli_out_t *o);

/*
 * The stream filter for text from functions and builds (logs, job output, build logs). It
 * removes every terminal escape sequence (ESC [ ... final, ESC ] ... BEL or ESC \, ESC x) and every
 * C0 control but \n and \t, and DEL; with keep_sgr (output to a terminal) colour sequences
 * (ESC [ digits;... m) and \r stay. It keeps state across calls, so a sequence may be cut
 * anywhere between two chunks. Pure.
 */
typedef struct faas_cli_filter {
    int keep_sgr;
    int state;         /* 0 text, 1 after ESC, 2 in CSI, 3 in OSC/string, 4 ESC in a string */
    char seq[32];      /* the CSI sequence so far, for keep_sgr */
    size_t seq_len;
} faas_cli_filter_t;

/* A colour sequence cut between two chunks comes out with the second: out needs this much more room. */
#define FAAS_CLI_FILTER_SLACK 32

/** Filters len bytes of in into out (room for len + FAAS_CLI_FILTER_SLACK bytes); the bytes written. */
size_t faas_cli_filter(faas_cli_filter_t *f, const char *in, size_t len, char *out);

/** A server string made safe for one table cell or line: escapes removed, other controls (newlines
    included) become spaces; at most size-1 bytes (cut on a UTF-8 boundary). Returns out. Pure. */
char *faas_cli_clean(const char *s, char *out, size_t size);

/** Writes len bytes through a filter to fp (for streams). */
void faas_cli_write_filtered(faas_cli_filter_t *f, FILE *fp, const char *data, size_t len);

/** "faas: " + the message, cleaned to one line, on stderr. Returns 1 (the exit code of a failure). */
int faas_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Prints a JSON document on stdout (indented on a terminal, one line otherwise). */
void faas_cli_print_json(const faas_cli_out_t *o, const cJSON *json);

typedef enum faas_cli_color { FAAS_CLI_PLAIN, FAAS_CLI_GREEN, FAAS_CLI_YELLOW, FAAS_CLI_RED, FAAS_CLI_DIM } faas_cli_color_t;

/* A table: rows of cleaned cells, printed with aligned columns. */
typedef struct faas_cli_table faas_cli_table_t;

faas_cli_table_t *faas_cli_table_new(void);
/** Appends a cell (text cleaned and copied; NULL prints as "-") to the current row. */
void faas_cli_table_cell(faas_cli_table_t *t, const char *text, faas_cli_color_t color);
/** Ends the current row. */
void faas_cli_table_row(faas_cli_table_t *t);
/** Prints the rows (the first is the header) to stdout and frees the table. */
void faas_cli_table_print(faas_cli_table_t *t, const faas_cli_out_t *o);

/** The colour for a status word (running: green, failed: red, building/starting: yellow). */
faas_cli_color_t faas_cli_status_color(const char *status);

/** "12s ago", "5m ago", "3h ago", "2d ago", or "-" for 0, relative to now (Unix seconds). Pure. */
char *faas_cli_age(double then, double now, char *out, size_t size);

/** A string member of obj, or NULL. */
const char *faas_cli_json_str(const cJSON *obj, const char *name);
/** A number member of obj, or dflt. */
double faas_cli_json_num(const cJSON *obj, const char *name, double dflt);

#endif
