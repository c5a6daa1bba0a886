#ifndef CLIBUV_SHIM_H
#define CLIBUV_SHIM_H

#include <uv.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

// libuv reports errors as negated errno values through macros (UV_EAGAIN, ...) that Swift
// imports only partly; these prefixed functions give the runtime shell stable names for them.
static inline int cuv_eof(void) { return UV_EOF; }

// uv_handle_t casts, which are macros in C idiom and awkward pointer conversions in Swift.
static inline uv_handle_t *cuv_timer_as_handle(uv_timer_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_pipe_as_handle(uv_pipe_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_signal_as_handle(uv_signal_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_async_as_handle(uv_async_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_prepare_as_handle(uv_prepare_t *h) { return (uv_handle_t *)h; }
static inline uv_handle_t *cuv_poll_as_handle(uv_poll_t *h) { return (uv_handle_t *)h; }
static inline uv_stream_t *cuv_pipe_as_stream(uv_pipe_t *h) { return (uv_stream_t *)h; }

// Batched UDP I/O on the runtime's own socket descriptors, which libuv only polls for readiness.
// libuv 1.44 sends one datagram per system call and reads without control messages. sendmmsg hands
// the kernel many datagrams at once, and UDP generic segmentation offload (GSO, the UDP_SEGMENT
// control message, Linux 4.18) lets one message carry several equal-sized datagrams to one address,
// which the kernel cuts apart after routing them once; generic receive offload (UDP_GRO, Linux 5.0)
// hands such a run to the receiver whole, with its segment size in a control message. struct mmsghdr,
// sendmmsg and recvmmsg are GNU extensions that Swift's Glibc module does not export, so this header
// declares the same layout itself and calls the system calls directly.

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

// The most datagrams one UDP_SEGMENT message may carry (the kernel's UDP_MAX_SEGMENTS since 4.18).
#define CUV_UDP_MAX_SEGMENTS 64

// struct mmsghdr: one message of a sendmmsg or recvmmsg call, and how many bytes the kernel took of
// it or wrote into it.
typedef struct {
    struct msghdr header;
    unsigned int length;
} cuv_mmsghdr;

// Sends `count` messages with one system call, without waiting. Returns how many the kernel took (at
// least one), or the negated errno of the first message when it took none.
static inline int cuv_sendmmsg(int descriptor, cuv_mmsghdr *messages, unsigned int count) {
    long result = syscall(SYS_sendmmsg, descriptor, messages, count, MSG_DONTWAIT);
    return result < 0 ? -errno : (int)result;
}

// Receives up to `count` messages with one system call, without waiting. Returns how many arrived, or
// the negated errno (-EAGAIN when none waits).
static inline int cuv_recvmmsg(int descriptor, cuv_mmsghdr *messages, unsigned int count) {
    long result = syscall(SYS_recvmmsg, descriptor, messages, count, MSG_DONTWAIT, NULL);
    return result < 0 ? -errno : (int)result;
}

// Bytes of control buffer that one UDP_SEGMENT message needs.
static inline size_t cuv_udp_segment_control_size(void) { return CMSG_SPACE(sizeof(uint16_t)); }

// Makes `message` a GSO message whose datagrams are `segment_size` bytes (the last may be shorter),
// writing the control message into `control` (cuv_udp_segment_control_size() bytes).
static inline void cuv_udp_set_segment_size(struct msghdr *message, void *control, uint16_t segment_size) {
    message->msg_control = control;
    message->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *header = CMSG_FIRSTHDR(message);
    header->cmsg_level = IPPROTO_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
}

// Whether the kernel knows UDP_SEGMENT. A kernel older than 4.18 ignores the control message it does
// not know and would send a whole GSO buffer as one oversized datagram, so segmentation is used only
// where this answers yes.
static inline int cuv_udp_segmentation_supported(int descriptor) {
    int value = 0;
    socklen_t length = sizeof value;
    return getsockopt(descriptor, IPPROTO_UDP, UDP_SEGMENT, &value, &length) == 0;
}

// Asks the kernel to hand over runs of datagrams coalesced (UDP_GRO); true if it agreed (Linux 5.0).
static inline int cuv_udp_enable_receive_offload(int descriptor) {
    int on = 1;
    return setsockopt(descriptor, IPPROTO_UDP, UDP_GRO, &on, sizeof on) == 0;
}

// Bytes of control buffer a received message needs for its UDP_GRO segment size.
static inline size_t cuv_udp_receive_control_size(void) { return CMSG_SPACE(sizeof(int)); }

// The segment size of a coalesced run received in `message` (its UDP_GRO control message), or 0 when
// the message is a single datagram.
static inline int cuv_udp_received_segment_size(struct msghdr *message) {
    for (struct cmsghdr *header = CMSG_FIRSTHDR(message); header != NULL; header = CMSG_NXTHDR(message, header)) {
        if (header->cmsg_level == IPPROTO_UDP && header->cmsg_type == UDP_GRO) {
            int size;
            memcpy(&size, CMSG_DATA(header), sizeof size);
            return size;
        }
    }
    return 0;
}

// uv_stream_t casts for the control socket's connections and requests.
static inline uv_handle_t *cuv_stream_as_handle(uv_stream_t *h) { return (uv_handle_t *)h; }

// The credentials of the process at the other end of a connected Unix socket (SO_PEERCRED). struct ucred needs
// _GNU_SOURCE, which this header does not set; the kernel's layout is declared here instead.
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} cuv_peer_credentials;

static inline int cuv_peer_credentials_get(int descriptor, cuv_peer_credentials *out) {
    socklen_t length = sizeof(*out);
    return getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, out, &length) == 0 ? 0 : -errno;
}

// The size of sockaddr_un's sun_path: a Unix socket path must be shorter than this.
static inline size_t cuv_unix_path_capacity(void) { return sizeof(((struct sockaddr_un *)0)->sun_path); }

#endif
