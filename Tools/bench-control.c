/* The load client of Tools/bench-control.py in C, for figures with less of the client's own noise in them.
 *
 * Python's interpreter, allocator and collector add tens to hundreds of microseconds of jitter to every figure it
 * takes, on the reference as much as on the node; this client and its echo server add next to none. Written by hand
 * because nothing packaged measures a line-oriented Unix-socket protocol at a fixed rate without coordinated omission
 * (wrk2 does that for HTTP only).
 *
 *     cc -O2 -o bench-control Tools/bench-control.c
 *     bench-control NODE_SOCKET METHOD RATE SECONDS      prints one JSON object with both figures
 *
 * The same schedule as the Python client: one request in flight, sent on a fixed open-loop schedule (a late answer
 * does not move the next send's scheduled time, and the wait it imposes is added to that request's latency), the
 * node and a reference echo server (its own process, answering each line at once) alternating in one-second slices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fail(const char *what) {
    fprintf(stderr, "bench-control: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int connect_unix(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(address.sun_path)) {
        fprintf(stderr, "bench-control: socket path too long: %s\n", path);
        exit(1);
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) fail(path);
    return fd;
}

/* The reference: reads lines and answers each with a fixed JSON-RPC result carrying the request's id. */
static void echo_server(int listener) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) fail("accept");
    static char buffer[1 << 16];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd, buffer + used, sizeof(buffer) - used);
        if (got <= 0) break;
        used += (size_t)got;
        char *start = buffer;
        char *newline;
        while ((newline = memchr(start, '\n', (size_t)(buffer + used - start))) != NULL) {
            /* The id is what follows "id": in the request this program sends. */
            long id = 0;
            char *at = strstr(start, "\"id\":");
            if (at != NULL && at < newline) id = strtol(at + 5, NULL, 10);
            char answer[128];
            int length = snprintf(answer, sizeof(answer), "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{}}\n", id);
            if (write(fd, answer, (size_t)length) != length) _exit(1);
            start = newline + 1;
        }
        used = (size_t)(buffer + used - start);
        memmove(buffer, start, used);
        if (used == sizeof(buffer)) break;
    }
    _exit(0);
}

struct target {
    int fd;
    const char *method;
    char buffer[1 << 20];
    size_t used;
    double *latencies;
    size_t count;
    size_t capacity;
    long next_id;
    double elapsed;
};

/* Reads until one whole line is buffered; returns its length (without the newline) and leaves it at the start. */
static size_t read_line(struct target *t) {
    for (;;) {
        char *newline = memchr(t->buffer, '\n', t->used);
        if (newline != NULL) return (size_t)(newline - t->buffer);
        if (t->used == sizeof(t->buffer)) {
            fprintf(stderr, "bench-control: answer longer than 1 MiB\n");
            exit(1);
        }
        ssize_t got = read(t->fd, t->buffer + t->used, sizeof(t->buffer) - t->used);
        if (got <= 0) fail("read");
        t->used += (size_t)got;
    }
}

static void sleep_until(double deadline) {
    struct timespec ts = {.tv_sec = (time_t)deadline, .tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void run_slice(struct target *t, int rate, double seconds) {
    double interval = 1.0 / rate;
    size_t count = (size_t)(rate * seconds);
    if (t->count + count > t->capacity) {
        t->capacity = (t->count + count) * 2;
        t->latencies = realloc(t->latencies, t->capacity * sizeof(double));
        if (t->latencies == NULL) fail("realloc");
    }
    double start = now_seconds();
    double previous_answer = start;
    for (size_t index = 0; index < count; index++) {
        double scheduled = start + (double)index * interval;
        /* Sleeping, not spinning: on two cores a spinning client takes the core the server needs. */
        if (scheduled > now_seconds()) sleep_until(scheduled);
        char request[256];
        long id = t->next_id++;
        int length = snprintf(request, sizeof(request), "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\"}\n", id,
                              t->method);
        double sent = now_seconds();
        if (write(t->fd, request, (size_t)length) != length) fail("write");
        size_t line = read_line(t);
        double answered = now_seconds();
        char expected[64];
        int expected_length = snprintf(expected, sizeof(expected), "\"id\":%ld", id);
        if (memmem(t->buffer, line, expected, (size_t)expected_length) == NULL ||
            memmem(t->buffer, line, "\"error\"", 7) != NULL) {
            fprintf(stderr, "bench-control: unexpected answer: %.*s\n", (int)(line < 200 ? line : 200), t->buffer);
            exit(1);
        }
        t->used -= line + 1;
        memmove(t->buffer, t->buffer + line + 1, t->used);
        double waited = previous_answer > scheduled ? previous_answer - scheduled : 0;
        t->latencies[t->count++] = answered - sent + waited;
        previous_answer = answered;
    }
    t->elapsed += now_seconds() - start;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_figures(const char *name, struct target *t) {
    qsort(t->latencies, t->count, sizeof(double), compare);
    double p[3] = {50, 99, 99.9};
    printf("\"%s\":{", name);
    const char *keys[3] = {"p50", "p99", "p999"};
    for (int i = 0; i < 3; i++) {
        size_t index = (size_t)(p[i] / 100 * (double)t->count);
        if (index >= t->count) index = t->count - 1;
        printf("\"%s\":%.1f,", keys[i], t->latencies[index] * 1e6);
    }
    printf("\"max\":%.1f,\"rate\":%.1f}", t->latencies[t->count - 1] * 1e6, (double)t->count / t->elapsed);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bench-control NODE_SOCKET METHOD RATE SECONDS\n");
        return 64;
    }
    int rate = atoi(argv[3]);
    double seconds = atof(argv[4]);
    if (rate < 1 || rate > 100000 || !(seconds > 0 && seconds <= 3600) || strlen(argv[2]) > 100 ||
        strpbrk(argv[2], "\"\\") != NULL) {
        fprintf(stderr, "bench-control: RATE must be 1..100000, SECONDS 0..3600, METHOD a plain name\n");
        return 64;
    }
    signal(SIGPIPE, SIG_IGN);

    char directory[] = "/tmp/bench-control-XXXXXX";
    if (mkdtemp(directory) == NULL) fail("mkdtemp");
    char echo_path[128];
    snprintf(echo_path, sizeof(echo_path), "%s/echo.sock", directory);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strcpy(address.sun_path, echo_path);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 1) != 0)
        fail("echo socket");
    pid_t server = fork();
    if (server < 0) fail("fork");
    if (server == 0) echo_server(listener);
    close(listener);

    static struct target node, reference;
    node.fd = connect_unix(argv[1]);
    node.method = argv[2];
    reference.fd = connect_unix(echo_path);
    reference.method = "echo";
    /* Alternating one-second slices, so that the machine's quiet and busy moments fall on both alike. */
    int slices = seconds < 1 ? 1 : (int)seconds;
    for (int i = 0; i < slices; i++) {
        run_slice(&node, rate, seconds / slices);
        run_slice(&reference, rate, seconds / slices);
    }
    close(reference.fd);
    close(node.fd);
    waitpid(server, NULL, 0);
    unlink(echo_path);
    rmdir(directory);

    printf("{");
    print_figures("node", &node);
    printf(",");
    print_figures("reference", &reference);
    printf("}\n");
    return 0;
}
