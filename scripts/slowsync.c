// A disk that syncs at most SYNC_RATE times per second (default 300), for the load generator on
// SQLite: preloaded, it makes every fsync/fdatasync of the process take at least 1/SYNC_RATE s,
// one at a time. The real sync runs inside that time, so a sync that moves a lot of data takes
// as long as it really does, and one that moves little still takes 1/SYNC_RATE s.
//
//   gcc -O2 -shared -fPIC -o /tmp/slowsync.so scripts/slowsync.c -ldl -lpthread
//   LD_PRELOAD=/tmp/slowsync.so target/release/deps/loadgen-<hash> --senders 200 --seconds 20
//
// Until 2026-12-03 the real sync ran after the 1/SYNC_RATE s pause, outside the lock: each
// of the load generator's syncs then took 3.3 ms plus 1-3 ms, about 200-250 syncs a second.
// BENCHMARKS.md says which model each figure used.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long gap_ns(void){ const char*r=getenv("SYNC_RATE"); long rate=r?atol(r):300; return 1000000000L/rate; }
static long now_ns(void){ struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec*1000000000L+t.tv_nsec; }
static int paced(int(*real)(int), int fd){
  pthread_mutex_lock(&mu);
  long start=now_ns();
  int r=real(fd);
  long left=gap_ns()-(now_ns()-start);
  if(left>0){ struct timespec d={ left/1000000000L, left%1000000000L }; nanosleep(&d,0); }
  pthread_mutex_unlock(&mu);
  return r;
}
int fsync(int fd){ static int(*real)(int); if(!real) real=dlsym(RTLD_NEXT,"fsync"); return paced(real,fd); }
int fdatasync(int fd){ static int(*real)(int); if(!real) real=dlsym(RTLD_NEXT,"fdatasync"); return paced(real,fd); }
