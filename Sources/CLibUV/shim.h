#ifndef CLIBUV_SHIM_H
#define CLIBUV_SHIM_H

#include <uv.h>

// libuv reports errors as negated errno values through macros (UV_EAGAIN, ...) that Swift
// imports only partly; these prefixed functions give the runtime shell stable names for them.
static inline int cuv_eagain(void) { return UV_EAGAIN; }
static inline int cuv_eof(void) { return UV_EOF; }
static inline int cuv_ecanceled(void) { return UV_ECANCELED; }

// uv_handle_t casts, which are macros in C idiom and awkward pointer conversions in Swift.
static inline uv_handle_t *cuv_udp_as_handle(uv_udp_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_timer_as_handle(uv_timer_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_pipe_as_handle(uv_pipe_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_signal_as_handle(uv_signal_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_async_as_handle(uv_async_t *h) { return (uv_handle_t *)h; }
static inline uv_stream_t *cuv_pipe_as_stream(uv_pipe_t *h) { return (uv_stream_t *)h; }

#endif
