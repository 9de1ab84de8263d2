/* SPDX-License-Identifier: MIT */
/*
 * dien.h: the C API of dien, for services that score click-through rates with a trained DIEN,
 * DIN or base model (dien train) and cannot ship a deep-learning framework. C99; no C++ type,
 * exception or allocation crosses it. docs/embedding.md has complete examples.
 *
 *   dien_session* s;
 *   if (dien_session_open("dien-model", NULL, &s) != DIEN_OK) {
 *     fprintf(stderr, "%s\n", dien_last_error());
 *     return 1;
 *   }
 *   dien_request* r;
 *   dien_request_create(s, &r);
 *   const char* items[] = {"12", "7", "40"};                 // the user's history, oldest first
 *   const char* cats[] = {"3", "3", "1"};
 *   dien_request_set_sequence(r, "hist_item_id", items, 3);
 *   dien_request_set_sequence(r, "hist_cate_id", cats, 3);
 *   const char* cand[] = {"5", "99"}, *cand_cat[] = {"3", "2"};   // K = 2 candidate items
 *   dien_request_set_candidates(r, "item_id", cand, 2);
 *   dien_request_set_candidates(r, "cate_id", cand_cat, 2);
 *   float p[2];
 *   size_t n;
 *   dien_score(s, r, p, 2, &n);                               // p[0], p[1]: click probabilities
 *   dien_request_destroy(r);
 *   dien_session_close(s);
 *
 * Values are the raw strings of the training data; the session maps them with the training
 * run's vocabularies. Errors: every call returns a dien_status; on failure dien_last_error()
 * holds a message naming what was wrong (the feature, the value, the file), for this thread.
 * Threads: a session is shared by any number of threads; a request belongs to one thread at a
 * time. Each scoring call runs on the session's `threads` (1 by default).
 * ABI: functions are only ever added; a published signature or struct layout never changes
 * within one SOVERSION of libdien.so (docs/embedding.md, "ABI policy").
 */
#ifndef DIEN_H
#define DIEN_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define DIEN_API __attribute__((visibility("default")))
#else
#define DIEN_API
#endif

#define DIEN_VERSION_MAJOR 0
#define DIEN_VERSION_MINOR 2
#define DIEN_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dien_status {
  DIEN_OK = 0,
  DIEN_ERROR_ARGUMENT = 1,  /* a null pointer or an invalid option */
  DIEN_ERROR_REQUEST = 2,   /* a malformed request: unknown feature or value, wrong lengths, NaN, no candidates */
  DIEN_ERROR_NOT_FOUND = 3, /* an unknown user key */
  DIEN_ERROR_MODEL = 4,     /* the model cannot be opened: missing, corrupt or incompatible checkpoint */
  DIEN_ERROR_CAPACITY = 5,  /* an output buffer too small */
  DIEN_ERROR_STATE = 6,     /* the session was not opened for this (no user-state cache) */
  DIEN_ERROR_INTERNAL = 7   /* out of memory, or a bug: the message says more */
} dien_status;

typedef struct dien_session dien_session; /* a loaded model; thread-safe */
typedef struct dien_request dien_request; /* one user and K candidates; one thread at a time */

typedef struct dien_session_options {
  size_t struct_size;         /* sizeof(dien_session_options), set by dien_session_options_init */
  int threads;                /* threads per scoring call: 1 (default); 0: the library default */
  const char* oov;            /* unknown values: NULL (the training run's policy), "error" or "bucket" */
  size_t user_cache_capacity; /* users whose history states are kept (0: no cache, the default) */
  int exact_window;           /* 1 (default): a full history window is recomputed when it slides; 0: approximate */
  const char* isa;            /* NULL or "auto" (default), "avx512", "avx2", "generic" */
} dien_session_options;

/* "0.2.0": the library's version (may differ from the header's DIEN_VERSION_* at run time). */
DIEN_API const char* dien_version(void);
/* The message of this thread's most recent failed call ("" if none). Valid until the next call
 * that fails on this thread. */
DIEN_API const char* dien_last_error(void);
/* "DIEN_OK", "DIEN_ERROR_REQUEST", ... */
DIEN_API const char* dien_status_name(dien_status status);
/* The library-wide default of intra-op threads (0: every core); sessions use their own
 * `threads` option unless it is 0. */
DIEN_API dien_status dien_set_num_threads(int threads);

DIEN_API void dien_session_options_init(dien_session_options* options);
/* model_path: a checkpoint directory or a `dien train --out` directory (its best/, else last/).
 * options may be NULL (defaults). On failure *session is NULL. */
DIEN_API dien_status dien_session_open(const char* model_path, const dien_session_options* options,
                                       dien_session** session);
/* Flags of dien_session_open_with_flags, or'ed together. */
#define DIEN_OPEN_ALLOW_NONFINITE_WEIGHTS 1u /* load NaN or infinite weights instead of refusing the model */
/* dien_session_open with flags (0: the same as dien_session_open). A checkpoint's files are
 * verified against its manifest and its weights must be finite unless a flag says otherwise; an
 * unknown flag bit is DIEN_ERROR_ARGUMENT. (Added after 0.2.0: symbol version DIEN_0.3.) */
DIEN_API dien_status dien_session_open_with_flags(const char* model_path, const dien_session_options* options,
                                                  uint32_t flags, dien_session** session);
DIEN_API void dien_session_close(dien_session* session); /* NULL is allowed */
/* The instruction set the session's kernels use: "avx512", "avx2" or "generic". */
DIEN_API const char* dien_session_isa(const dien_session* session);
/* The features a request may set: name, role ("candidate item", "history", "sparse", "dense",
 * "sequence") and dimension (dense: values per row). Strings live as long as the session. */
DIEN_API size_t dien_session_feature_count(const dien_session* session);
DIEN_API dien_status dien_session_feature(const dien_session* session, size_t index, const char** name,
                                          const char** role, int64_t* dim);
/* The longest history the model looks at; longer histories keep their most recent events. */
DIEN_API int64_t dien_session_maxlen(const dien_session* session);

DIEN_API dien_status dien_request_create(const dien_session* session, dien_request** request);
DIEN_API void dien_request_destroy(dien_request* request); /* NULL is allowed */
DIEN_API dien_status dien_request_clear(dien_request* request);
/* One value for every candidate (a user feature). */
DIEN_API dien_status dien_request_set_user(dien_request* request, const char* feature, const char* value);
DIEN_API dien_status dien_request_set_user_dense(dien_request* request, const char* feature, const float* values,
                                                 size_t n);
/* A history ("hist_item_id") or another sequence feature, oldest first; n = 0 is legal. */
DIEN_API dien_status dien_request_set_sequence(dien_request* request, const char* feature,
                                               const char* const* values, size_t n);
/* One value per candidate; every candidate column of a request has the same k >= 1. */
DIEN_API dien_status dien_request_set_candidates(dien_request* request, const char* feature,
                                                 const char* const* values, size_t k);
/* values[k * dim], candidate c's values at c * dim. */
DIEN_API dien_status dien_request_set_candidates_dense(dien_request* request, const char* feature,
                                                       const float* values, size_t k, size_t dim);
/* Names the user for the user-state cache: with a history the cache is updated (an extension by
 * new events costs one step per event), without one the cached history is used. */
DIEN_API dien_status dien_request_set_user_key(dien_request* request, const char* user_key);
DIEN_API size_t dien_request_candidates(const dien_request* request);
/* Values mapped to an unknown id so far (bucket policy). */
DIEN_API size_t dien_request_oov_count(const dien_request* request);

/* Scores the request's K candidates into out[0 .. K) (probabilities for a binary model; the
 * prediction for regression); *written = K. capacity < K: DIEN_ERROR_CAPACITY, nothing written. */
DIEN_API dien_status dien_score(const dien_session* session, const dien_request* request, float* out,
                                size_t capacity, size_t* written);

/* User-state cache: one behaviour event (one value per history feature, by "item_id" or
 * "hist_item_id"; a category the model can derive from the item may be left out). */
DIEN_API dien_status dien_append_event(const dien_session* session, const char* user_key,
                                       const char* const* features, const char* const* values, size_t n);
/* DIEN_ERROR_NOT_FOUND when the user is not cached. */
DIEN_API dien_status dien_forget_user(const dien_session* session, const char* user_key);

#ifdef __cplusplus
}
#endif

#endif /* DIEN_H */
