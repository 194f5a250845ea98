// LD_PRELOAD shim for bench/run's allocs scenario: counts malloc, calloc, realloc and the
// aligned allocations of the process (operator new goes through malloc) and writes the count
// to $MALLOC_COUNT_FILE every 100 ms, so the harness can read it before and after a window.
// Build: gcc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -pthread
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* old, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static atomic_ulong allocations;

static void counted(void) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

void* malloc(size_t size) {
  counted();
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  counted();
  return __libc_calloc(count, size);
}

void* realloc(void* old, size_t size) {
  counted();
  return __libc_realloc(old, size);
}

void* memalign(size_t alignment, size_t size) {
  counted();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  counted();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  counted();
  void* p = __libc_memalign(alignment, size);
  if (p == NULL) return 12;  // ENOMEM
  *out = p;
  return 0;
}

static void* writer(void* path) {
  const int fd = open((const char*)path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return NULL;
  for (;;) {
    char line[32];
    const int n = snprintf(line, sizeof line, "%020lu\n", atomic_load(&allocations));
    if (pwrite(fd, line, (size_t)n, 0) < 0) break;
    const struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  close(fd);
  return NULL;
}

__attribute__((constructor)) static void start_writer(void) {
  const char* path = getenv("MALLOC_COUNT_FILE");
  if (path == NULL || *path == '\0') return;
  static char copy[4096];
  strncpy(copy, path, sizeof copy - 1);
  unsetenv("MALLOC_COUNT_FILE");  // children (none expected) do not write the same file
  pthread_t thread;
  if (pthread_create(&thread, NULL, writer, copy) == 0) pthread_detach(thread);
}
