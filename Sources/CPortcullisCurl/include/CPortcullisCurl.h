// Typed wrappers around libcurl's variadic curl_easy_setopt, which Swift cannot call, and a
// read callback that streams a byte buffer. No policy lives here.
#ifndef CPORTCULLIS_CURL_H
#define CPORTCULLIS_CURL_H

#include <curl/curl.h>
#include <stddef.h>

/// The message being uploaded and how much of it has been sent.
typedef struct {
    const unsigned char *bytes;
    size_t length;
    size_t offset;
} CPortcullisCurl_Upload;

CURLcode CPortcullisCurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode CPortcullisCurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode CPortcullisCurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
/// Installs the read callback that streams `upload`.
CURLcode CPortcullisCurl_set_upload(CURL *handle, CPortcullisCurl_Upload *upload);
/// Discards response bodies (HTTP transports) into a small capture buffer of `capacity` bytes.
typedef struct {
    char *bytes;
    size_t capacity;
    size_t length;
} CPortcullisCurl_Capture;
CURLcode CPortcullisCurl_set_capture(CURL *handle, CPortcullisCurl_Capture *capture);
/// Collects a response body into `capture`; a body longer than its capacity aborts the transfer
/// (CURLE_WRITE_ERROR) instead of being read to the end.
CURLcode CPortcullisCurl_set_bounded_capture(CURL *handle, CPortcullisCurl_Capture *capture);
long CPortcullisCurl_response_code(CURL *handle);

#endif
