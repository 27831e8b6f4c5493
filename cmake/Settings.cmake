# Compile settings shared by every golfops target, linked PRIVATE.
add_library(golfops_settings INTERFACE)
target_compile_features(golfops_settings INTERFACE cxx_std_20)
target_compile_definitions(golfops_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)

add_library(golfops_warnings INTERFACE)
target_compile_options(
  golfops_warnings
  INTERFACE -Wall
            -Wextra
            -Wpedantic
            -Wshadow
            -Wnon-virtual-dtor
            -Wnull-dereference
            -Woverloaded-virtual
            # Designated initializers that omit defaulted members are the idiom here.
            -Wno-missing-field-initializers
            $<$<BOOL:${GOLFOPS_WERROR}>:-Werror>)

if(GOLFOPS_SANITIZE)
  target_compile_options(golfops_settings INTERFACE -fsanitize=address,undefined
                                                    -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(golfops_settings INTERFACE -fsanitize=address,undefined)
endif()

# libstdc++ and libgcc compiled in (no other dependency is C++, so there is one
# copy of each): saves their symbol lookups at every start. Sanitizer builds
# keep the shared runtime the sanitizers expect.
if(NOT GOLFOPS_SANITIZE)
  target_link_options(golfops_settings INTERFACE -static-libstdc++ -static-libgcc -Wl,--as-needed)
endif()
