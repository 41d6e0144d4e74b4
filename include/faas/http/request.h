/*
 * request.h: reading what a request says beyond its path: query parameters and the function
 * name a Host header carries. Loop thread (faas_request_host_label is pure).
 */
#ifndef FAAS_HTTP_REQUEST_H
#define FAAS_HTTP_REQUEST_H

#include <stddef.h>

#include <h2o.h>

/**
 * Copies the value of query parameter name (percent-decoded, '+' as space) into buf; returns
 * its length, or -1 when absent or longer than size - 1.
 */
int faas_request_query(h2o_req_t *req, const char *name, char *buf, size_t size);

/**
 * The function name a Host names: its first label, lower-cased into out, when the host has a
 * dot and is not an IP literal ("Fn.example.com:8080" -> "fn"). Returns its length, or 0. Pure.
 */
size_t faas_request_host_label(h2o_iovec_t authority, char *out, size_t size);

#endif
