/* What one process can do at best on this disk, for bench/run to print
 * beside the measured rates: no engine, only the I/O a durable commit
 * cannot avoid.
 *
 *   durable_floor DIR log COMMITS    one record written in place into a
 *                                    pre-zeroed file, then fdatasync (a
 *                                    write-ahead log's or SQLite WAL's floor)
 *   durable_floor DIR files COMMITS  four new small files each written and
 *                                    fsynced, then link() of the last and an
 *                                    fsync of the directory (the floor of
 *                                    an Iceberg commit on a file catalog)
 *
 * Prints one JSON object: commits, seconds, commits_per_second.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char* what, const char* path) {
  fprintf(stderr, "durable_floor: %s %s failed\n", what, path);
  exit(1);
}

static void write_all(int fd, const char* buf, size_t n, const char* path) {
  if (write(fd, buf, n) != (ssize_t)n) fail("write", path);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: durable_floor DIR log|files COMMITS\n");
    return 2;
  }
  const char* dir = argv[1];
  const int log_mode = strcmp(argv[2], "log") == 0;
  const int commits = atoi(argv[3]);
  char path[4096], target[4096];
  static char block[1 << 20];
  char record[144];
  memset(record, 7, sizeof record);
  double started;
  if (log_mode) {
    snprintf(path, sizeof path, "%s/segment", dir);
    const int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open", path);
    const size_t needed = (size_t)commits * sizeof record;
    for (size_t done = 0; done < needed; done += sizeof block) write_all(fd, block, sizeof block, path);
    if (fsync(fd) != 0) fail("fsync", path);
    started = now_s();
    for (int i = 0; i < commits; ++i) {
      if (pwrite(fd, record, sizeof record, (off_t)i * (off_t)sizeof record) != sizeof record) {
        fail("pwrite", path);
      }
      if (fdatasync(fd) != 0) fail("fdatasync", path);
    }
    close(fd);
  } else {
    const int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) fail("open", dir);
    started = now_s();
    for (int i = 0; i < commits; ++i) {
      for (int k = 0; k < 4; ++k) {
        snprintf(path, sizeof path, "%s/f%d-%d", dir, i, k);
        const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) fail("open", path);
        write_all(fd, block, 2048, path);
        if (fsync(fd) != 0) fail("fsync", path);
        close(fd);
      }
      snprintf(target, sizeof target, "%s/v%d", dir, i);
      if (link(path, target) != 0) fail("link", target);
      if (fsync(dfd) != 0) fail("fsync", dir);
    }
    close(dfd);
  }
  const double seconds = now_s() - started;
  printf("{\"commits\": %d, \"seconds\": %.3f, \"commits_per_second\": %.1f}\n", commits, seconds,
         (double)commits / seconds);
  return 0;
}
