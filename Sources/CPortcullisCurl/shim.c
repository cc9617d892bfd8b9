#include "CPortcullisCurl.h"
#include <string.h>

CURLcode CPortcullisCurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode CPortcullisCurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode CPortcullisCurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static size_t read_upload(char *buffer, size_t size, size_t count, void *userdata) {
    CPortcullisCurl_Upload *upload = (CPortcullisCurl_Upload *)userdata;
    size_t room = size * count;
    size_t left = upload->length - upload->offset;
    size_t take = left < room ? left : room;
    memcpy(buffer, upload->bytes + upload->offset, take);
    upload->offset += take;
    return take;
}

CURLcode CPortcullisCurl_set_upload(CURL *handle, CPortcullisCurl_Upload *upload) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_upload);
    if (code != CURLE_OK) return code;
    code = curl_easy_setopt(handle, CURLOPT_READDATA, upload);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
}

static size_t write_capture(char *data, size_t size, size_t count, void *userdata) {
    CPortcullisCurl_Capture *capture = (CPortcullisCurl_Capture *)userdata;
    size_t total = size * count;
    size_t room = capture->capacity - capture->length;
    size_t take = total < room ? total : room;
    memcpy(capture->bytes + capture->length, data, take);
    capture->length += take;
    return total;
}

CURLcode CPortcullisCurl_set_capture(CURL *handle, CPortcullisCurl_Capture *capture) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_capture);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_WRITEDATA, capture);
}

static size_t write_bounded(char *data, size_t size, size_t count, void *userdata) {
    CPortcullisCurl_Capture *capture = (CPortcullisCurl_Capture *)userdata;
    size_t total = size * count;
    if (total > capture->capacity - capture->length) return 0;  /* abort: larger than allowed */
    memcpy(capture->bytes + capture->length, data, total);
    capture->length += total;
    return total;
}

CURLcode CPortcullisCurl_set_bounded_capture(CURL *handle, CPortcullisCurl_Capture *capture) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_bounded);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_WRITEDATA, capture);
}

long CPortcullisCurl_response_code(CURL *handle) {
    long code = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
