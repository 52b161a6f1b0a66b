/*
 * Runs clickhouse-local from libchdb with the given command line and exits with its result.
 *
 * libchdb (npm @chdb/lib-linux-x64-gnu) still exports clickhouse-local's command-line entry
 * point. The test bed passes a query that starts ClickHouse's own HTTP handler
 * (SYSTEM START LISTEN HTTP) and then reads stdin to EOF, so the process serves HTTP until its
 * parent closes the pipe or dies. argv[0] is kept: clickhouse-local treats it as the program name.
 *
 * Declarations copied from chdb's programs/local/chdb.h; the header is not shipped in the package.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct local_result_v2 {
    char *buf;
    size_t len;
    void *_vec;
    double elapsed;
    uint64_t rows_read;
    uint64_t bytes_read;
    char *error_message;
};

struct local_result_v2 *query_stable_v2(int argc, char **argv);
void free_result_v2(struct local_result_v2 *result);

int main(int argc, char **argv) {
    struct local_result_v2 *result = query_stable_v2(argc, argv);
    if (result == NULL) {
        fputs("chdb-http-server: query_stable_v2 returned no result\n", stderr);
        return 2;
    }
    int status = 0;
    if (result->error_message != NULL) {
        fprintf(stderr, "%s\n", result->error_message);
        status = 1;
    } else if (result->buf != NULL) {
        fwrite(result->buf, 1, result->len, stdout);
    }
    free_result_v2(result);
    return status;
}
