/*
 * request.h: reading what a request says beyond its path: query parameters, the function
 * name a Host header carries, and whether its method and path can be written on as an HTTP/1.1
 * request line. Loop thread (faas_request_host_label and faas_request_line_error are pure).
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

/*
 * The longest path faas takes (414 past it): the request line of nginx's large_client_header_buffers
 * (8 KiB) and Apache's LimitRequestLine (8190). libh2o 2.2 caps only the whole head (HTTP/1.1:
 * H2O_MAX_REQLEN, 8 KiB + 4 KiB per header, about 400 KiB; HTTP/2: the same for a HEADERS block).
 */
#define FAAS_REQUEST_MAX_PATH 8192

/**
 * Why method and path cannot go on as an HTTP/1.1 request line, or NULL when they can: a method
 * that is not an RFC 9110 token, a path that is empty or holds a space, a control character or
 * DEL (HTTP/2 lets a client put them in :method and :path; written into "METHOD PATH HTTP/1.1"
 * they would make a different request), or a path over FAAS_REQUEST_MAX_PATH. *status is the
 * answer's status: 400, or 414 for a long path. Pure.
 */
const char *faas_request_line_error(h2o_iovec_t method, h2o_iovec_t path, int *status);

#endif
