{
  # nova_cpu.node: the CPU reference / fallback backend (src-hip/cpu). Built by `npm run build:cpu`
  # (node-gyp rebuild); node-addon-api with C++ exceptions, Node-API version pinned to 8 (Node >= 12.22).
  "targets": [
    {
      "target_name": "nova_cpu",
      "sources": [
        "src-hip/cpu/addon.cpp",
        "src-hip/cpu/conv.cpp",
        "src-hip/cpu/conv_direct.cpp",
        "src-hip/cpu/conv_winograd.cpp"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      # -ffp-contract=off: no fused multiply-adds, so results match the documented operation order everywhere.
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-ffp-contract=off", "-Wall", "-Wextra"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2", "/fp:precise"] }
      }
    }
  ]
}
