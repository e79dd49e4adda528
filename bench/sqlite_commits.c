/* The baseline of bench/run: P processes each commit C transactions of R
 * rows into one SQLite database in WAL mode with synchronous=FULL (durable
 * commits), rows shaped like `datashard stress` rows. Prints one JSON object:
 * commits, seconds, commits_per_second, latency_p50_ms, latency_p99_ms.
 *
 *   sqlite_commits DB PROCESSES COMMITS ROWS_PER_COMMIT
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "sqlite_commits: %s: %s\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    exit(1);
  }
}

static sqlite3* open_db(const char* path) {
  sqlite3* db = NULL;
  check(sqlite3_open(path, &db), db, "open");
  /* Before the pragmas: twelve writers opening at once wait for each other
   * there too, instead of failing with "database is locked". */
  sqlite3_busy_timeout(db, 60000);
  check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL), db,
        "pragmas");
  return db;
}

static int cmp_long(const void* a, const void* b) {
  const long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

static int writer(const char* path, int w, int commits, int rows, const char* latency_file) {
  sqlite3* db = open_db(path);
  sqlite3_stmt* insert = NULL;
  check(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, 'run', ?, ?, ?, ?)", -1, &insert, NULL), db,
        "prepare");
  long* lat = malloc(sizeof(long) * (size_t)commits);
  char payload[64];
  for (int seq = 0; seq < commits; ++seq) {
    const double began = now_s();
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), db, "begin");
    for (int r = 0; r < rows; ++r) {
      snprintf(payload, sizeof payload, "w%d-%d", w, seq);
      sqlite3_bind_int64(insert, 1, ((long long)w << 40) | ((long long)seq << 20) | r);
      sqlite3_bind_int(insert, 2, w);
      sqlite3_bind_int(insert, 3, seq);
      sqlite3_bind_int(insert, 4, r);
      sqlite3_bind_text(insert, 5, payload, -1, SQLITE_TRANSIENT);
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
    lat[seq] = (long)((now_s() - began) * 1e6);
  }
  FILE* f = fopen(latency_file, "wb");
  if (f == NULL || fwrite(lat, sizeof(long), (size_t)commits, f) != (size_t)commits) return 1;
  fclose(f);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: sqlite_commits DB PROCESSES COMMITS ROWS_PER_COMMIT\n");
    return 2;
  }
  const char* path = argv[1];
  const int procs = atoi(argv[2]), commits = atoi(argv[3]), rows = atoi(argv[4]);
  sqlite3* db = open_db(path);
  check(sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, run TEXT, writer INT, "
                     "seq INT, row INT, payload TEXT)",
                     NULL, NULL, NULL),
        db, "create");
  sqlite3_close(db);
  const double started = now_s();
  for (int w = 0; w < procs; ++w) {
    const pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      char file[4096];
      snprintf(file, sizeof file, "%s.latency.%d", path, w);
      _exit(writer(path, w, commits, rows, file));
    }
  }
  int failed = 0;
  for (int w = 0; w < procs; ++w) {
    int status = 0;
    wait(&status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  const double seconds = now_s() - started;
  if (failed) {
    fprintf(stderr, "sqlite_commits: a writer failed\n");
    return 1;
  }
  const size_t n = (size_t)procs * (size_t)commits;
  long* all = malloc(sizeof(long) * n);
  for (int w = 0; w < procs; ++w) {
    char file[4096];
    snprintf(file, sizeof file, "%s.latency.%d", path, w);
    FILE* f = fopen(file, "rb");
    if (f == NULL || fread(all + (size_t)w * (size_t)commits, sizeof(long), (size_t)commits, f) !=
                         (size_t)commits) {
      return 1;
    }
    fclose(f);
    unlink(file);
  }
  qsort(all, n, sizeof(long), cmp_long);
  printf("{\"commits\": %zu, \"seconds\": %.3f, \"commits_per_second\": %.1f, "
         "\"latency_p50_ms\": %.3f, \"latency_p99_ms\": %.3f}\n",
         n, seconds, (double)n / seconds, (double)all[(n - 1) / 2] / 1000.0,
         (double)all[(size_t)((double)(n - 1) * 0.99)] / 1000.0);
  return 0;
}
