# Native addon build (node-gyp): portable baseline plus x86-64 micro-kernels compiled per ISA (GCC/Clang
# toolchains), chosen at run time; other targets (aarch64, MSVC) build the portable baseline only.
{
  "target_defaults": {
    "cflags": ["-O3", "-fno-math-errno", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags_cc": ["-std=c++17", "-fexceptions"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CFLAGS": ["-O3", "-fno-math-errno"]
    },
    "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] } },
    "conditions": [
      ["target_arch=='x64' and OS!='win'", { "defines": ["ADAPTLAB_X86=1"] }]
    ]
  },
  "targets": [
    {
      "target_name": "adaptlab",
      "sources": [
        "native/src/addon.cc",
        "native/src/cpu.cc",
        "native/src/pool.cc",
        "native/src/gemm.cc",
        "native/src/ukernel_baseline.cc",
        "native/src/conv.cc",
        "native/src/pool2d.cc",
        "native/src/bind_linalg.cc",
        "native/src/bind_conv.cc",
        "native/src/bind_elementwise.cc",
        "native/src/bind_reduce.cc",
        "native/src/bind_layout.cc",
        "native/src/bind_fused.cc"
      ],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", { "dependencies": ["adaptlab_avx2", "adaptlab_avx512"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64' and OS!='win'", {
      "targets": [
        {
          "target_name": "adaptlab_avx2",
          "type": "static_library",
          "sources": ["native/src/ukernel_avx2.cc"],
          "cflags": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "adaptlab_avx512",
          "type": "static_library",
          "sources": ["native/src/ukernel_avx512.cc"],
          "cflags": ["-mavx512f", "-mavx512dq", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx512f", "-mavx512dq", "-mavx2", "-mfma"] }
        }
      ]
    }]
  ]
}
