/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The multi-threaded workload traced by the "threads" integration test:
 * WL_MT_PRODUCERS producer and WL_MT_CONSUMERS consumer threads run
 * WL_STEPS rounds, WL_STEP_MS apart, in lock step: the main thread opens a
 * round with a barrier and waits for its end at a second one, so the
 * ground truth in workload.h is exact.
 *
 * In each round every producer allocates WL_MT_BATCH blocks of its own
 * size (producer_alloc) and hands them through a mutex-protected queue to
 * the consumers, which free them (cross-thread frees), and leaks one block
 * (thread_leak).  Consumer 0 callocs a token (round_token) that producer 0
 * frees in the next round.  Every thread fills a thread-local cache once
 * before the first round (thread_cache_fill) and keeps it.
 *
 * The threads never exit: a thread's exit frees glibc's per-thread cache,
 * which was allocated inside the allocator (never seen as a block), so it
 * would be a free of an unknown block.  main() returns after the last
 * round and exit() ends them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define NOINLINE __attribute__((noinline))
#define QUEUE_CAP (WL_MT_PRODUCERS * WL_MT_BATCH) /* blocks per round */

/* The blocks in transit from the producers to the consumers. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	void *items[QUEUE_CAP];
	int len;
	int taken; /* popped in this round; reset by main between rounds */
} queue = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
};

static pthread_barrier_t round_start, round_end;
static void *leaked[WL_MT_PRODUCERS][WL_STEPS];
static void *tokens[WL_STEPS];
static __thread void *cache[WL_MT_CACHE_COUNT];

static void die(const char *what, int err)
{
	fprintf(stderr, "mt_workload: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *xcheck(void *p)
{
	if (!p)
		die("out of memory", ENOMEM);
	return p;
}

/* Once per thread, before the first round: kept, not a leak. */
NOINLINE void thread_cache_fill(void)
{
	int i;

	for (i = 0; i < WL_MT_CACHE_COUNT; i++)
		cache[i] = xcheck(malloc(WL_MT_CACHE_SIZE));
}

/* A block of the producer's own size, freed by a consumer. */
NOINLINE void *producer_alloc(int producer)
{
	return malloc(WL_MT_BATCH_SIZE(producer));
}

/* One block per producer and round, never freed. */
NOINLINE void thread_leak(int producer, int round)
{
	leaked[producer][round] = xcheck(malloc(WL_MT_LEAK_SIZE));
}

/* Consumer 0, every round; producer 0 frees it in the next round. */
NOINLINE void round_token(int round)
{
	tokens[round] = xcheck(calloc(WL_MT_TOKEN_NMEMB, WL_MT_TOKEN_SIZE));
}

NOINLINE void consumer_free(void *p)
{
	free(p);
}

static void push(void *p)
{
	pthread_mutex_lock(&queue.lock);
	queue.items[queue.len++] = p;
	pthread_cond_signal(&queue.more);
	pthread_mutex_unlock(&queue.lock);
}

/* The next block of this round, or NULL once all of them were taken. */
static void *pop(void)
{
	void *p = NULL;

	pthread_mutex_lock(&queue.lock);
	while (!queue.len && queue.taken < QUEUE_CAP)
		pthread_cond_wait(&queue.more, &queue.lock);
	if (queue.len) {
		p = queue.items[--queue.len];
		if (++queue.taken == QUEUE_CAP)
			pthread_cond_broadcast(&queue.more);
	}
	pthread_mutex_unlock(&queue.lock);
	return p;
}

static void producer_round(int producer, int round)
{
	int i;

	if (producer == 0 && round > 0)
		free(tokens[round - 1]);
	for (i = 0; i < WL_MT_BATCH; i++) {
		void *p = xcheck(producer_alloc(producer));

		memset(p, producer, WL_MT_BATCH_SIZE(producer));
		push(p);
	}
	thread_leak(producer, round);
}

static void consumer_round(int consumer, int round)
{
	void *p;

	while ((p = pop()))
		consumer_free(p);
	if (consumer == 0)
		round_token(round);
}

static void barrier_wait(pthread_barrier_t *b)
{
	int err = pthread_barrier_wait(b);

	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait", err);
}

/* Every thread starts here, so each site has one call stack. */
static void *worker_main(void *arg)
{
	int id = (int)(long)arg, round;

	thread_cache_fill();
	for (round = 0; round < WL_STEPS; round++) {
		barrier_wait(&round_start);
		if (id < WL_MT_PRODUCERS)
			producer_round(id, round);
		else
			consumer_round(id - WL_MT_PRODUCERS, round);
		barrier_wait(&round_end);
	}
	for (;;)
		pause();
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	pthread_t tid;
	long i;
	int err, round;

	if (argc != 1) {
		fprintf(stderr, "usage: mt_workload\n");
		return 2;
	}
	err = pthread_barrier_init(&round_start, NULL, WL_MT_THREADS + 1);
	if (!err)
		err = pthread_barrier_init(&round_end, NULL, WL_MT_THREADS + 1);
	if (err)
		die("pthread_barrier_init", err);
	for (i = 0; i < WL_MT_THREADS; i++) {
		err = pthread_create(&tid, NULL, worker_main, (void *)i);
		if (err)
			die("pthread_create", err);
	}
	for (round = 0; round < WL_STEPS; round++) {
		/* Every worker waits at round_start: nobody uses the queue. */
		pthread_mutex_lock(&queue.lock);
		queue.taken = 0;
		pthread_mutex_unlock(&queue.lock);
		barrier_wait(&round_start);
		barrier_wait(&round_end);
		sleep_ms(WL_STEP_MS);
	}
	/* exit() ends the workers and frees nothing the tracer follows. */
	return 0;
}
