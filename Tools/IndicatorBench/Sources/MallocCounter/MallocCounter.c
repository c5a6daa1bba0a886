// Interposes malloc, calloc and realloc to count them (glibc exports the real ones as __libc_*).
#include <stddef.h>
#include <stdint.h>
#include "MallocCounter.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static uint64_t calls;

void *malloc(size_t size) { __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); return __libc_realloc(pointer, size); }

uint64_t malloc_counter_calls(void) { return __atomic_load_n(&calls, __ATOMIC_RELAXED); }
