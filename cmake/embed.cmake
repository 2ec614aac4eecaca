# yibiao_embed(TARGET NAME FILES...): compiles files into the binary. Generates a source that
# defines `std::string_view <NAME>(std::string_view path)` returning a file's bytes by its path
# relative to the current source dir (empty when absent), and adds it to TARGET.
function(yibiao_embed target name)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}_embedded.cc)
  set(abs_files)
  foreach(f ${ARGN})
    list(APPEND abs_files ${CMAKE_CURRENT_SOURCE_DIR}/${f})
  endforeach()
  string(REPLACE ";" "|" joined "${abs_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAME=${name} -DBASE=${CMAKE_CURRENT_SOURCE_DIR}
            "-DFILES=${joined}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_gen.cmake
    DEPENDS ${abs_files} ${PROJECT_SOURCE_DIR}/cmake/embed_gen.cmake
    COMMENT "Embedding ${name}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
