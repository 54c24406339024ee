/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * C++ workload for tests/integration/test_alloc.c: operator new and new[]
 * leaks kept in plain arrays (so no container allocates beside them), and
 * std::string/std::map churn plus a vector filled once, which do not leak.
 * Ground truth in workload.h (wl_cxx_sites).
 */
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>
#include <time.h>

#include "workload.h"

#define NOINLINE __attribute__((noinline))

struct Node {
	long key;
	long value;
	Node *next;
	int tag;
};
static_assert(sizeof(Node) == WL_CXX_NODE_SIZE, "workload.h: WL_CXX_NODE_SIZE");

static Node *nodes[WL_STEPS];
static char *arrays[WL_STEPS];
static std::vector<int> *numbers;

NOINLINE void leak_node(int step)
{
	Node *n = new Node;

	n->key = step;
	n->value = step * 2;
	n->next = step ? nodes[step - 1] : nullptr;
	n->tag = 0;
	nodes[step] = n;
}

NOINLINE void leak_array(int step)
{
	char *a = new char[WL_CXX_ARRAY_SIZE];

	memset(a, step, WL_CXX_ARRAY_SIZE);
	arrays[step] = a;
}

/* Longer than the small-string buffer, so every string allocates. */
NOINLINE size_t churn_strings(int step)
{
	std::string s(48, 'a' + step % 26);
	std::string t = s + s;

	t += " and some more text to force a reallocation of the buffer";
	return t.size();
}

NOINLINE size_t churn_map(int step)
{
	std::map<int, std::string> m;
	int i;

	for (i = 0; i < 10; i++)
		m[i * step] = std::string(40, 'x');
	return m.size();
}

/* Grows through several reallocations, once; the last buffer is kept. */
NOINLINE void fill_vector_once(void)
{
	int i;

	numbers = new std::vector<int>;
	for (i = 0; i < WL_CXX_VECTOR_LEN; i++)
		numbers->push_back(i);
}

int main(void)
{
	struct timespec ts = { 0, WL_STEP_MS * 1000000L };
	size_t total = 0;
	int step;

	for (step = 0; step < WL_STEPS; step++) {
		leak_node(step);
		leak_array(step);
		total += churn_strings(step);
		total += churn_map(step);
		if (step == 0)
			fill_vector_once();
		nanosleep(&ts, nullptr);
	}
	return total ? 0 : 1;
}
