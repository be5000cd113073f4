// Errors of the GPU addon. Two families:
//  - argument errors, thrown synchronously on the JS thread before any device work (TypeError for the wrong kind of
//    value, RangeError for a value out of range; `code` E_ARG), so a bad raw binding call never crashes the process;
//  - runtime errors (E_DEVICE, E_OOM), thrown as nova::GpuError by NOVA_HIP_CHECK (compat header) inside worker
//    threads and turned into rejected promises by the workers, keeping the runtime's own message.
#pragma once

#include <napi.h>

#include <sstream>
#include <string>
#include <utility>

#include "../compat/hip_compat.hpp"

namespace nova {

template <typename... Parts>
std::string make_string(Parts&&... parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    return out.str();
}

// A JS Error with a `code` property (E_DEVICE, E_OOM, E_DISPOSED, E_UNSUPPORTED).
inline Napi::Error make_js_error(Napi::Env env, const char* code, const std::string& message) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    return error;
}

inline Napi::Error make_type_error(Napi::Env env, const std::string& message) {
    Napi::TypeError error = Napi::TypeError::New(env, message);
    error.Set("code", Napi::String::New(env, "E_ARG"));
    return error;
}

inline Napi::Error make_range_error(Napi::Env env, const std::string& message) {
    Napi::RangeError error = Napi::RangeError::New(env, message);
    error.Set("code", Napi::String::New(env, "E_ARG"));
    return error;
}

// typeof-style name of a JS value for messages ("null" and "array" told apart from "object").
inline const char* type_name(const Napi::Value& value) {
    switch (value.Type()) {
        case napi_undefined: return "undefined";
        case napi_null: return "null";
        case napi_boolean: return "boolean";
        case napi_number: return "number";
        case napi_string: return "string";
        case napi_symbol: return "symbol";
        case napi_function: return "function";
        case napi_external: return "external";
        case napi_bigint: return "bigint";
        default: return value.IsArray() ? "array" : value.IsTypedArray() ? "TypedArray" : "object";
    }
}

// The JS error code for a runtime failure (nova::GpuError from NOVA_HIP_CHECK in the compat header).
inline const char* error_code_of(hipError_t status) { return status == hipErrorOutOfMemory ? "E_OOM" : "E_DEVICE"; }

}  // namespace nova

// Argument checks on the JS thread. Each names the argument and what was expected (sharp-style wording).
#define NOVA_TYPEERROR_IF(condition, ...)                                                  \
    do {                                                                                  \
        if (condition) throw ::nova::make_type_error(env, ::nova::make_string(__VA_ARGS__)); \
    } while (0)

#define NOVA_RANGEERROR_IF(condition, ...)                                                  \
    do {                                                                                   \
        if (condition) throw ::nova::make_range_error(env, ::nova::make_string(__VA_ARGS__)); \
    } while (0)
