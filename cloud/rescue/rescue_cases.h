// Rescue cases: opened for crash and SOS events inside the ingest's commit transaction, taken
// and advanced by operators, escalated while no operator takes them, and reported to the car.
//
// One case per incident. The ingest stores each (vin, seq) once, so a redelivered event never
// reaches this code twice. A further crash or SOS event from the same car within
// incident_window of the open case's first event joins that case: the car gets the current
// state again, and no new case opens.
//
// The estimated arrival of the truck is an estimate: dispatch_preparation plus the great-circle
// distance times road_factor at truck_speed_kph. Once the truck reports its position, the
// estimate starts from there without the preparation time.
//
// The truck reports its position in one of two ways. An operator calls report_truck_position,
// or the truck publishes ordinary telemetry under its own VIN, which the operator names when
// dispatching the case. For each stored telemetry message, on_stored looks up the dispatched
// case of the sender with one indexed query. When there is one, it moves the truck to the
// batch's latest fix and queues one RescueUpdate to the car.
//
// Operator queues are levels: a new case waits at level 0. When no operator takes it within
// escalation_timeout, it moves to the next level, a history entry records that, and the timer
// starts again. Operators at any level may take any case.
//
// Every call that changes a case writes the change, a history entry with its time and a
// RescueUpdate in the downlink outbox in one transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cloud/dealers/dealer_network.h"
#include "cloud/rescue/rescue_state.h"
#include "cloud/store/downlink_outbox.h"
#include "cloud/store/sqlite_database.h"
#include "cloud/store/sqlite_store.h"

namespace drivelink::cloud::rescue {

struct RescueOptions {
    std::chrono::milliseconds incident_window{std::chrono::minutes(5)};
    std::chrono::milliseconds escalation_timeout{std::chrono::seconds(30)};
    double truck_speed_kph = 60.0;
    double road_factor = 1.3;  // road distance per great-circle distance
    std::chrono::milliseconds dispatch_preparation{std::chrono::minutes(10)};
    dealers::RankingOptions ranking;
};

struct RescueCase {
    std::int64_t id = 0;
    std::string vin;
    RescueState state = RescueState::Open;
    std::string trigger;  // "crash" or "sos"
    std::int64_t event_seq = 0;
    std::int64_t event_time_ms = 0;
    std::optional<dealers::GeoPosition> position;  // of the car, when known
    std::int64_t opened_time_ms = 0;
    std::int64_t updated_time_ms = 0;
    int escalation_level = 0;
    std::optional<std::int64_t> escalation_due_ms;  // set while the case waits for an operator
    std::string operator_name;
    std::string dealer_id;  // the dealer whose truck goes; the best ranked one until set
    std::optional<dealers::GeoPosition> truck_position;
    std::optional<std::int64_t> truck_eta_time_ms;
    std::string truck_vin;  // the truck's own VIN, empty when the operator named none
    // Measurement time of the latest truck position taken from the truck's telemetry. Older
    // telemetry, such as a message the truck sends again, does not move the truck back.
    std::optional<std::int64_t> truck_position_time_ms;
};

struct Escalation {
    std::int64_t case_id = 0;
    std::string vin;
    int level = 0;  // the level after the escalation
};

// Returns the estimated arrival time of a truck `distance_km` away, starting at `now_ms`.
std::int64_t estimate_arrival_ms(double distance_km,
                                 std::int64_t now_ms,
                                 bool include_preparation,
                                 const RescueOptions& options);

class RescueCases final : public StoredUplinkHandler {
  public:
    // `network` must outlive this object.
    RescueCases(const dealers::DealerNetwork& network, RescueOptions options);

    // Opens or joins a case for a crash or SOS uplink and queues the RescueUpdate. For a
    // telemetry uplink from the truck of a dispatched case, stores the truck's position and new
    // ETA and queues one RescueUpdate to the car. Does nothing for other uplinks. Runs inside the
    // caller's transaction.
    Status on_stored(SqliteDatabase& db,
                     const ReceivedUplink& received,
                     std::vector<OutboundCommand>& commands) override;

    // The calls below run their own transaction and return the case after the change.
    Result<RescueCase> take(SqliteDatabase& db,
                            std::int64_t case_id,
                            const std::string& operator_name,
                            std::int64_t now_ms) const;
    // Moves the case to `to`. `dealer_id`, when not empty, names the dispatched dealer and must
    // be in the network. `truck_vin`, when not empty, names the truck whose telemetry tracks it.
    // It is accepted only with `to` == Dispatched, must be a valid VIN, must differ from the
    // car's VIN and must not be the truck of another dispatched case.
    Result<RescueCase> advance(SqliteDatabase& db,
                               std::int64_t case_id,
                               RescueState to,
                               const std::string& dealer_id,
                               std::int64_t now_ms,
                               const std::string& truck_vin = {}) const;
    // Stores the truck's position and new ETA; the case must be dispatched.
    Result<RescueCase> report_truck_position(SqliteDatabase& db,
                                             std::int64_t case_id,
                                             dealers::GeoPosition truck_position,
                                             std::int64_t now_ms) const;
    // Raises the level of every open case whose escalation_due_ms has passed.
    Result<std::vector<Escalation>> escalate_due(SqliteDatabase& db, std::int64_t now_ms) const;

    Result<RescueCase> find(SqliteDatabase& db, std::int64_t case_id) const;
    // Returns the cases not closed, at `level` when given, oldest first.
    Result<std::vector<RescueCase>> list_active(SqliteDatabase& db, std::optional<int> level) const;

    const RescueOptions& options() const { return options_; }

  private:
    struct WrittenChange {
        RescueCase rescue_case;
        OutboundCommand command;
    };
    using CaseChange = std::function<Result<std::string>(RescueCase&)>;

    Status handle_emergency(SqliteDatabase& db,
                            const ReceivedUplink& received,
                            std::vector<OutboundCommand>& commands) const;
    Status track_truck(SqliteDatabase& db,
                       const ReceivedUplink& received,
                       std::vector<OutboundCommand>& commands) const;
    Status open_case(SqliteDatabase& db,
                     const ReceivedUplink& received,
                     std::vector<OutboundCommand>& commands) const;
    Status join_case(SqliteDatabase& db,
                     const RescueCase& open_case,
                     const ReceivedUplink& received,
                     std::vector<OutboundCommand>& commands) const;
    // Runs write_change on the stored case in a transaction of its own.
    Result<RescueCase> change(SqliteDatabase& db,
                              std::int64_t case_id,
                              const CaseChange& apply,
                              std::int64_t now_ms) const;
    // Applies `apply` to `rescue_case`, writes the case with a history entry and queues the
    // RescueUpdate whose text `apply` returns. Runs inside the caller's transaction.
    Result<WrittenChange> write_change(SqliteDatabase& db,
                                       RescueCase rescue_case,
                                       const CaseChange& apply,
                                       std::int64_t now_ms) const;
    // Places the truck at `truck_position` and estimates its arrival from there. The case must
    // be dispatched. `position_time_ms` is set for positions from the truck's telemetry.
    Result<std::string> move_truck(RescueCase& rescue_case,
                                   dealers::GeoPosition truck_position,
                                   std::optional<std::int64_t> position_time_ms,
                                   std::int64_t now_ms) const;
    Status insert_dealers(SqliteDatabase& db,
                          std::int64_t case_id,
                          const std::vector<dealers::RankedDealer>& ranked,
                          std::int64_t now_ms) const;
    Status add_case_dealers(SqliteDatabase& db,
                            std::int64_t case_id,
                            v1::RescueUpdate& update) const;
    // Places the truck at the chosen dealer and estimates its arrival with preparation time.
    void set_dispatch_eta(RescueCase& rescue_case, std::int64_t now_ms) const;
    Result<OutboundCommand> queue_update(SqliteDatabase& db,
                                         const RescueCase& rescue_case,
                                         std::int64_t history_id,
                                         const std::string& message,
                                         std::int64_t now_ms) const;

    const dealers::DealerNetwork& network_;
    const RescueOptions options_;
};

}  // namespace drivelink::cloud::rescue
