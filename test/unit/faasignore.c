/*
 * faasignore.c (unit): .faasignore matching, gitignore syntax: comments and blank lines, plain
 * names at any depth, anchors (leading or middle '/'), folders only (trailing '/'), negation
 * and the last rule winning, what sits in an ignored folder, *, ?, [...], ** in each place,
 * escapes, and .git/ always left out.
 */
#include "faas/cli/ignore.h"
#include "testlib.h"

#include <string.h>

static faas_cli_ignore_t *rules(const char *text)
{
    return faas_cli_ignore_parse(text, strlen(text));
}

#define IGNORED(ig, path, dir) testlib_check(faas_cli_ignore_match(ig, path, dir) == 1, __FILE__, __LINE__, "%s ignored", path)
#define KEPT(ig, path, dir) testlib_check(faas_cli_ignore_match(ig, path, dir) == 0, __FILE__, __LINE__, "%s kept", path)

TEST(comments_blanks_and_plain_names)
{
    faas_cli_ignore_t *ig = rules("# a comment\n\n   \nsecret.txt\r\n*.log  \n\\#hash\n");
    CHECK_INT(faas_cli_ignore_count(ig), 3);
    IGNORED(ig, "secret.txt", 0);
    IGNORED(ig, "sub/dir/secret.txt", 0); /* no slash: any depth */
    IGNORED(ig, "a.log", 0);
    IGNORED(ig, "x/b.log", 0);
    IGNORED(ig, "#hash", 0);
    KEPT(ig, "a.log.txt", 0);
    KEPT(ig, "secret.txt.bak", 0);
    KEPT(ig, "# a comment", 0);
    faas_cli_ignore_free(ig);
    ig = rules("");
    CHECK_INT(faas_cli_ignore_count(ig), 0);
    KEPT(ig, "anything", 0);
    faas_cli_ignore_free(ig);
}

TEST(anchors)
{
    faas_cli_ignore_t *ig = rules("/top.txt\ndoc/frotz\n");
    IGNORED(ig, "top.txt", 0);
    KEPT(ig, "sub/top.txt", 0);   /* a leading '/' anchors */
    IGNORED(ig, "doc/frotz", 0);
    KEPT(ig, "a/doc/frotz", 0);   /* so does a middle one */
    faas_cli_ignore_free(ig);
}

TEST(folders_only)
{
    faas_cli_ignore_t *ig = rules("build/\n/out/\n");
    IGNORED(ig, "build", 1);
    KEPT(ig, "build", 0);          /* a file named build stays */
    IGNORED(ig, "src/build", 1);   /* no other slash: any depth */
    IGNORED(ig, "build/x.o", 0);   /* inside an ignored folder */
    IGNORED(ig, "src/build/deep/x.o", 0);
    IGNORED(ig, "out", 1);
    KEPT(ig, "src/out", 1);
    faas_cli_ignore_free(ig);
}

TEST(negation_and_order)
{
    faas_cli_ignore_t *ig = rules("*.log\n!keep.log\n");
    IGNORED(ig, "a.log", 0);
    KEPT(ig, "keep.log", 0);
    KEPT(ig, "x/keep.log", 0);
    faas_cli_ignore_free(ig);
    ig = rules("!keep.log\n*.log\n"); /* the last matching rule wins */
    IGNORED(ig, "keep.log", 0);
    faas_cli_ignore_free(ig);
    ig = rules("logs/\n!logs/keep.log\n"); /* a file in an ignored folder cannot come back */
    IGNORED(ig, "logs/keep.log", 0);
    faas_cli_ignore_free(ig);
    ig = rules("logs/*\n!logs/keep.log\n"); /* but the folder's contents can be picked */
    IGNORED(ig, "logs/a.log", 0);
    KEPT(ig, "logs/keep.log", 0);
    KEPT(ig, "logs", 1);
    faas_cli_ignore_free(ig);
    ig = rules("\\!important\n");
    IGNORED(ig, "!important", 0);
    faas_cli_ignore_free(ig);
}

TEST(wildcards)
{
    faas_cli_ignore_t *ig = rules("file?.txt\n[abc].md\n[!x-z].c\n*.[oa]\ndata/*.csv\n");
    IGNORED(ig, "file1.txt", 0);
    KEPT(ig, "file10.txt", 0);
    KEPT(ig, "file.txt", 0);
    IGNORED(ig, "b.md", 0);
    KEPT(ig, "d.md", 0);
    IGNORED(ig, "m.c", 0);
    KEPT(ig, "y.c", 0);
    IGNORED(ig, "lib.a", 0);
    IGNORED(ig, "x/main.o", 0);
    IGNORED(ig, "data/x.csv", 0);
    KEPT(ig, "data/sub/x.csv", 0); /* '*' does not cross '/' */
    KEPT(ig, "other/data/x.csv", 0);
    faas_cli_ignore_free(ig);
}

TEST(double_star)
{
    faas_cli_ignore_t *ig = rules("**/cache\na/**/b\nvendor/**\n**/tmp/*.t\n");
    IGNORED(ig, "cache", 1);          /* leading: any depth, the top included */
    IGNORED(ig, "x/y/cache", 0);
    IGNORED(ig, "a/b", 0);            /* middle: zero folders ... */
    IGNORED(ig, "a/x/b", 0);          /* ... one ... */
    IGNORED(ig, "a/x/y/b", 0);        /* ... or more */
    KEPT(ig, "a/xb", 0);
    KEPT(ig, "z/a/b", 0);
    IGNORED(ig, "vendor/lib/x.go", 0); /* trailing: everything inside */
    IGNORED(ig, "vendor/x", 0);
    KEPT(ig, "vendor", 1);            /* but not the folder itself */
    IGNORED(ig, "tmp/a.t", 0);
    IGNORED(ig, "p/q/tmp/a.t", 0);
    KEPT(ig, "p/q/tmp/a.u", 0);
    faas_cli_ignore_free(ig);
    ig = rules("a**b\n"); /* not a whole component: like '*' */
    IGNORED(ig, "axyb", 0);
    KEPT(ig, "ax/yb", 0);
    faas_cli_ignore_free(ig);
}

TEST(git_always_and_escapes)
{
    faas_cli_ignore_t *ig = rules("!.git\n!.git/\n");
    IGNORED(ig, ".git", 1);
    IGNORED(ig, ".git/config", 0);
    IGNORED(ig, "sub/.git/HEAD", 0);
    KEPT(ig, ".gitignore", 0);
    KEPT(ig, ".git", 0); /* a file named .git (a worktree link) is an ordinary file */
    faas_cli_ignore_free(ig);
    ig = rules("trail\\ \nx[\n");
    IGNORED(ig, "trail ", 0);   /* an escaped trailing space stays */
    KEPT(ig, "trail", 0);
    IGNORED(ig, "x[", 0);       /* an unclosed '[' is a plain character */
    faas_cli_ignore_free(ig);
}

int main(void)
{
    RUN(comments_blanks_and_plain_names);
    RUN(anchors);
    RUN(folders_only);
    RUN(negation_and_order);
    RUN(wildcards);
    RUN(double_star);
    RUN(git_always_and_escapes);
    return testlib_done();
}
