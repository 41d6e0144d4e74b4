/*
 * ignore.h: .faasignore rules, gitignore syntax: blank lines and # comments, ! negation, a
 * leading or middle / anchors a pattern to the folder's top, a trailing / matches folders only,
 * *, ?, [a-z] / [!a-z], and ** as a whole path component (any number of folders). The last
 * matching rule wins; what sits in an ignored folder stays ignored; .git/ is always ignored.
 * Pure code; any thread.
 */
#ifndef FAAS_CLI_IGNORE_H
#define FAAS_CLI_IGNORE_H

#include <stddef.h>

typedef struct faas_cli_ignore faas_cli_ignore_t;

/** The rules in text (len bytes; NULL or empty: none). NULL only when out of memory. */
faas_cli_ignore_t *faas_cli_ignore_parse(const char *text, size_t len);

/** 1 when path (relative, '/'-separated, no leading '/') is left out; is_dir: it is a folder. */
int faas_cli_ignore_match(const faas_cli_ignore_t *ig, const char *path, int is_dir);

/** The number of rules read (for tests and messages). */
size_t faas_cli_ignore_count(const faas_cli_ignore_t *ig);

void faas_cli_ignore_free(faas_cli_ignore_t *ig);

#endif
