/* SPDX-License-Identifier: MIT */
/*
 * score_file: scores a file of samples in the DIEN Amazon format (what `dien gen-data` and
 * `dien prepare` write: label, user, item, category, item history, category history; tab
 * separated, histories joined by \x02) through the C API, one probability per line, as
 * `dien predict MODEL --data FILE` prints them. Consecutive lines of the same user and history
 * become one request with K candidates, so the user's part is computed once for all of them.
 *
 *   score_file MODEL FILE [THREADS]
 *
 * Plain C99 + POSIX getline; links only libdien (pkg-config --cflags --libs dien).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dien/dien.h>

#define MAX_FIELDS 6

/* Splits s in place at `sep` into at most `max` pieces; returns the count. */
static size_t split(char* s, char sep, char** out, size_t max) {
  size_t n = 0;
  if (*s == '\0') return 0;
  out[n++] = s;
  for (char* p = s; *p; ++p)
    if (*p == sep) {
      *p = '\0';
      if (n == max) return max + 1;
      out[n++] = p + 1;
    }
  return n;
}

typedef struct {
  char* line;                     /* owns the line's text */
  char* f[MAX_FIELDS];            /* label, user, item, category, item history, category history */
} sample;

static int check(dien_status st, const char* what) {
  if (st == DIEN_OK) return 0;
  fprintf(stderr, "score_file: %s: %s: %s\n", what, dien_status_name(st), dien_last_error());
  return 1;
}

/* Scores samples[0 .. k) (same user and history) and prints their probabilities. */
static int score_group(const dien_session* s, dien_request* r, sample* g, size_t k, size_t maxlen) {
  const char** items = malloc(k * sizeof *items);
  const char** cats = malloc(k * sizeof *cats);
  char** hist_items = malloc((maxlen + 1) * sizeof *hist_items);
  char** hist_cats = malloc((maxlen + 1) * sizeof *hist_cats);
  float* p = malloc(k * sizeof *p);
  int bad = !items || !cats || !hist_items || !hist_cats || !p;
  if (bad) fprintf(stderr, "score_file: out of memory\n");
  for (size_t i = 0; i < k && !bad; ++i) {
    items[i] = g[i].f[2];
    cats[i] = g[i].f[3];
  }
  /* The histories: split copies, so that the group's first line stays intact. */
  char* hi = bad ? NULL : strdup(g[0].f[4]);
  char* hc = bad ? NULL : strdup(g[0].f[5]);
  size_t n_items = 0, n_cats = 0;
  if (!bad && hi && hc) {
    size_t cap = strlen(hi) + 1; /* at most this many events */
    char** a = realloc(hist_items, cap * sizeof *a);
    char** b = realloc(hist_cats, (strlen(hc) + 1) * sizeof *b);
    if (a) hist_items = a;
    if (b) hist_cats = b;
    bad = !a || !b;
    if (!bad) {
      n_items = split(hi, '\x02', hist_items, cap);
      n_cats = split(hc, '\x02', hist_cats, strlen(g[0].f[5]) + 1);
    }
  }
  size_t written = 0;
  bad = bad || check(dien_request_clear(r), "clear") ||
        check(dien_request_set_user(r, "user_id", g[0].f[1]), "user_id") ||
        check(dien_request_set_sequence(r, "hist_item_id", (const char* const*)hist_items, n_items), "hist_item_id") ||
        check(dien_request_set_sequence(r, "hist_cate_id", (const char* const*)hist_cats, n_cats), "hist_cate_id") ||
        check(dien_request_set_candidates(r, "item_id", items, k), "item_id") ||
        check(dien_request_set_candidates(r, "cate_id", cats, k), "cate_id") ||
        check(dien_score(s, r, p, k, &written), "score");
  for (size_t i = 0; i < written && !bad; ++i) printf("%.6f\n", (double)p[i]);
  free(hi);
  free(hc);
  free(items);
  free(cats);
  free(hist_items);
  free(hist_cats);
  free(p);
  return bad;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: score_file MODEL FILE [THREADS]\n(dien %s)\n", dien_version());
    return 2;
  }
  dien_session_options o;
  dien_session_options_init(&o);
  if (argc == 4) o.threads = atoi(argv[3]);
  dien_session* s = NULL;
  if (check(dien_session_open(argv[1], &o, &s), "open")) return 1;
  FILE* in = fopen(argv[2], "r");
  if (!in) {
    perror(argv[2]);
    dien_session_close(s);
    return 1;
  }
  dien_request* r = NULL;
  int bad = check(dien_request_create(s, &r), "request");
  size_t cap = 64, k = 0, line_no = 0;
  sample* group = malloc(cap * sizeof *group);
  char* line = NULL;
  size_t line_cap = 0;
  ssize_t len;
  while (!bad && (len = getline(&line, &line_cap, in)) >= 0) {
    ++line_no;
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    sample x;
    x.line = strdup(line);
    if (!x.line || split(x.line, '\t', x.f, MAX_FIELDS) != MAX_FIELDS) {
      fprintf(stderr, "score_file: %s:%zu: expected %d tab-separated fields\n", argv[2], line_no, MAX_FIELDS);
      free(x.line);
      bad = 1;
      break;
    }
    /* A new user or history closes the group. */
    if (k > 0 && (strcmp(x.f[1], group[0].f[1]) || strcmp(x.f[4], group[0].f[4]) || strcmp(x.f[5], group[0].f[5]))) {
      bad = score_group(s, r, group, k, (size_t)dien_session_maxlen(s));
      for (size_t i = 0; i < k; ++i) free(group[i].line);
      k = 0;
    }
    if (k == cap) {
      sample* more = realloc(group, 2 * cap * sizeof *group);
      if (!more) {
        bad = 1;
        break;
      }
      group = more;
      cap *= 2;
    }
    group[k++] = x;
  }
  if (!bad && k > 0) bad = score_group(s, r, group, k, (size_t)dien_session_maxlen(s));
  for (size_t i = 0; i < k; ++i) free(group[i].line);
  free(group);
  free(line);
  fclose(in);
  dien_request_destroy(r);
  dien_session_close(s);
  return bad ? 1 : 0;
}
