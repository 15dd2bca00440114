# drivelink_head_unit: the head unit's vehicle signals, sampler, event detection, cloud
# commands and configuration file. Included from agent/CMakeLists.txt.
add_library(drivelink_head_unit STATIC
    ${CMAKE_CURRENT_LIST_DIR}/signals/logger.cpp
    ${CMAKE_CURRENT_LIST_DIR}/signals/replay_signal_source.cpp
    ${CMAKE_CURRENT_LIST_DIR}/signals/simulated_vehicle.cpp
    ${CMAKE_CURRENT_LIST_DIR}/signals/vehicle_signals.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampling/batcher.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampling/sampler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/events/crash_detector.cpp
    ${CMAKE_CURRENT_LIST_DIR}/events/emergency.cpp
    ${CMAKE_CURRENT_LIST_DIR}/events/event_detector.cpp
    ${CMAKE_CURRENT_LIST_DIR}/events/signal_events.cpp
    ${CMAKE_CURRENT_LIST_DIR}/commands/command_handler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/commands/command_id_store.cpp
    ${CMAKE_CURRENT_LIST_DIR}/commands/head_unit_screen.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config/agent_config.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config/runtime_settings.cpp
    ${CMAKE_CURRENT_LIST_DIR}/config/toml_reader.cpp)
target_include_directories(drivelink_head_unit PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(drivelink_head_unit
    PUBLIC drivelink_protocol drivelink_gnss tomlplusplus::tomlplusplus spdlog::spdlog fmt::fmt
        nlohmann_json::nlohmann_json
    PRIVATE drivelink_warnings)
