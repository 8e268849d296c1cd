/* replay.c — runs a fuzz target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer: the regression runner of the normal test build (gcc, ASan in
 * the sanitize build). Each argument is a file or a directory whose
 * regular files are replayed in name order, each in a child process of its
 * own, so that one failing input (the targets check with abort(); the
 * sanitizers report and exit non-zero, LeakSanitizer at the child's exit)
 * does not hide the others. Ends with "N passed, N failed"; exits non-zero
 * if any input failed.
 *
 *   fuzz_expr_replay [-v] fuzz/corpus/expr fuzz/regressions/fuzz_expr
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verbose;

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            } else {
                buf = bigger;
            }
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return -1;
    }
    if (verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    /* The libFuzzer contract: the data is only valid during the call, and
     * an exact-size copy lets ASan see reads past its end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("replay: fork");
        free(exact);
        return -1;
    }
    if (pid == 0) {
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        exit(0); /* not _exit: LeakSanitizer checks at exit */
    }
    free(exact);
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("replay: waitpid");
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "replay: FAILED %s (signal %d)\n", path, WTERMSIG(status));
    else
        fprintf(stderr, "replay: FAILED %s (exit %d)\n", path, WEXITSTATUS(status));
    return 1;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long failures;

static int
replay_path(const char *path, long *count)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: %s does not exist\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        int r = replay_file(path);
        failures += r > 0;
        return r < 0 ? -1 : 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: cannot read directory %s\n", path);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue; /* ., .., and hidden files such as .gitkeep */
        if (n == cap) {
            char **bigger = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
            if (!bigger)
                break;
            names = bigger;
        }
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(len)))
            break;
        snprintf(names[n++], len, "%s/%s", path, de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    int ret = 0;
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            (*count)++;
            int r = replay_file(names[i]);
            if (r < 0)
                ret = -1;
            failures += r > 0;
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

int
main(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && !strcmp(argv[1], "-v")) {
        verbose = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-v] FILE-OR-DIRECTORY...\n", argv[0]);
        return 2;
    }
    long count = 0;
    int ret = 0;
    for (int i = first; i < argc; i++)
        if (replay_path(argv[i], &count) < 0)
            ret = 1;
    if (ret)
        fprintf(stderr, "replay: some inputs could not be read\n");
    printf("%ld passed, %ld failed\n", count - failures, failures);
    return ret || failures ? 1 : 0;
}
