// The translation unit that builds the shared plugin precompiled header
// (plugins/CMakeLists.txt); it has no code of its own.
