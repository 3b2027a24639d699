// A disk that syncs at most SYNC_RATE times per second (default 300), for the load generator on
// SQLite: preloaded, it makes every fsync/fdatasync of the process take 1/SYNC_RATE s longer,
// one at a time.
//
//   gcc -O2 -shared -fPIC -o /tmp/slowsync.so scripts/slowsync.c -ldl -lpthread
//   LD_PRELOAD=/tmp/slowsync.so target/release/deps/loadgen-<hash> --senders 200 --seconds 20
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long gap_ns(void){ const char*r=getenv("SYNC_RATE"); long rate=r?atol(r):300; return 1000000000L/rate; }
static void pace(void){
  pthread_mutex_lock(&mu);
  long g=gap_ns(); struct timespec d={ g/1000000000L, g%1000000000L }; nanosleep(&d,0);
  pthread_mutex_unlock(&mu);
}
int fsync(int fd){ static int(*real)(int); if(!real) real=dlsym(RTLD_NEXT,"fsync"); pace(); return real(fd); }
int fdatasync(int fd){ static int(*real)(int); if(!real) real=dlsym(RTLD_NEXT,"fdatasync"); pace(); return real(fd); }
