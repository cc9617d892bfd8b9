// The few Linux calls Swift's Glibc module does not expose (epoll, eventfd, accept4), as thin
// wrappers prefixed with the module name. No logic lives here.
#ifndef CPORTCULLIS_LINUX_H
#define CPORTCULLIS_LINUX_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

static inline int CPortcullisLinux_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline int CPortcullisLinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

/// Waits and copies (events, data) pairs into plain arrays, so Swift never touches the packed struct.
static inline int CPortcullisLinux_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout) {
    struct epoll_event buffer[256];
    if (max > 256) max = 256;
    int count = epoll_wait(epfd, buffer, max, timeout);
    for (int i = 0; i < count; i++) {
        events[i] = buffer[i].events;
        data[i] = buffer[i].data.u64;
    }
    return count;
}

static inline int CPortcullisLinux_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (defined in shim.c, which needs _GNU_SOURCE; defining
/// it here would change glibc's struct definitions under Swift's Glibc module).
int CPortcullisLinux_accept4(int fd, struct sockaddr *address, socklen_t *length);

static const uint32_t CPortcullisLinux_EPOLLIN = EPOLLIN;
static const uint32_t CPortcullisLinux_EPOLLOUT = EPOLLOUT;
static const uint32_t CPortcullisLinux_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CPortcullisLinux_EPOLLERR = EPOLLERR;
static const uint32_t CPortcullisLinux_EPOLLHUP = EPOLLHUP;

#endif
