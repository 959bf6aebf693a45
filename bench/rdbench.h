/* Shared by rdbench.c and its modes in other files: key=value arguments, clocks, CPU time. */
#ifndef RDBENCH_H
#define RDBENCH_H
#include <stdint.h>

const char *arg(const char *key, const char *def);
long long arg_ll(const char *key, long long def);
const char *need(const char *key);
uint64_t now_ns(void);
double self_cpu_seconds(void);

int raw_produce(void); /* rawproduce.c */
int sync_log(void);    /* synclog.c */
#endif
