#include <stdint.h>
/// Calls to malloc, calloc and realloc since the process started.
uint64_t malloc_counter_calls(void);
