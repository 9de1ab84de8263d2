/* SPDX-License-Identifier: MIT */
/* quickstart: score K candidate items for one user with a model trained by `dien train`.
 *   quickstart MODEL HIST_ITEMS HIST_CATES CAND_ITEMS CAND_CATES
 *   quickstart dien-model 12,7,40 3,3,1 5,99 3,2
 * (comma-separated raw values, histories oldest first) */
#include <stdio.h>
#include <string.h>

#include <dien/dien.h>

/* Splits s at commas in place into out[0 .. n); returns n. */
static size_t split(char* s, const char** out, size_t max) {
  size_t n = 0;
  for (char* tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) out[n++] = tok;
  return n;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: quickstart MODEL HIST_ITEMS HIST_CATES CAND_ITEMS CAND_CATES\n");
    return 2;
  }
  const char *hist_items[256], *hist_cates[256], *items[256], *cates[256];
  const size_t nh = split(argv[2], hist_items, 256), nc = split(argv[3], hist_cates, 256);
  const size_t k = split(argv[4], items, 256), kc = split(argv[5], cates, 256);

  dien_session* session = NULL;
  dien_request* request = NULL;
  float p[256];
  size_t written = 0;
  dien_status st = dien_session_open(argv[1], NULL, &session);  /* NULL: default options */
  if (st == DIEN_OK) st = dien_request_create(session, &request);
  if (st == DIEN_OK) st = dien_request_set_sequence(request, "hist_item_id", hist_items, nh);
  if (st == DIEN_OK) st = dien_request_set_sequence(request, "hist_cate_id", hist_cates, nc);
  if (st == DIEN_OK) st = dien_request_set_candidates(request, "item_id", items, k);
  if (st == DIEN_OK) st = dien_request_set_candidates(request, "cate_id", cates, kc);
  if (st == DIEN_OK) st = dien_score(session, request, p, 256, &written);
  if (st != DIEN_OK) fprintf(stderr, "quickstart: %s: %s\n", dien_status_name(st), dien_last_error());
  for (size_t i = 0; i < written; ++i) printf("%s\t%.6f\n", items[i], (double)p[i]);
  dien_request_destroy(request);
  dien_session_close(session);
  return st == DIEN_OK ? 0 : 1;
}
