#include "cloud/rescue/rescue_cases.h"

#include <fmt/format.h>
#include <cmath>

#include "cloud/logging.h"
#include "protocol/vin.h"

namespace drivelink::cloud::rescue {
namespace {

using dealers::GeoPosition;

constexpr std::string_view kSelectCase = R"sql(
SELECT id, vin, state, trigger, event_seq, event_time_ms, latitude_deg, longitude_deg,
       opened_time_ms, updated_time_ms, escalation_level, escalation_due_ms,
       coalesce(operator_name, ''), coalesce(dealer_id, ''), truck_latitude_deg,
       truck_longitude_deg, truck_eta_time_ms, coalesce(truck_vin, ''), truck_position_time_ms
FROM rescue_cases )sql";

constexpr std::string_view kInsertCase = R"sql(
INSERT INTO rescue_cases (vin, state, trigger, event_seq, event_time_ms, latitude_deg,
                          longitude_deg, opened_time_ms, updated_time_ms, escalation_due_ms,
                          dealer_id)
VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9))sql";

constexpr std::string_view kUpdateCase = R"sql(
UPDATE rescue_cases SET state = ?2, updated_time_ms = ?3, escalation_level = ?4,
    escalation_due_ms = ?5, operator_name = ?6, dealer_id = ?7, truck_latitude_deg = ?8,
    truck_longitude_deg = ?9, truck_eta_time_ms = ?10, truck_vin = nullif(?11, ''),
    truck_position_time_ms = ?12
WHERE id = ?1)sql";

constexpr std::string_view kInsertCaseEvent = R"sql(
INSERT INTO rescue_case_events (vin, seq, case_id) VALUES (?1, ?2, ?3))sql";

constexpr std::string_view kInsertDealer = R"sql(
INSERT INTO rescue_case_dealers (case_id, rank, dealer_id, name, city, distance_km, eta_time_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";

constexpr std::string_view kSelectDealers = R"sql(
SELECT dealer_id, name, city, distance_km, eta_time_ms FROM rescue_case_dealers
WHERE case_id = ?1 ORDER BY rank)sql";

constexpr std::string_view kInsertHistory = R"sql(
INSERT INTO rescue_case_history (case_id, step, time_ms, detail) VALUES (?1, ?2, ?3, ?4))sql";

constexpr std::string_view kLastPosition = R"sql(
SELECT latitude_deg, longitude_deg FROM samples
WHERE vin = ?1 AND fix_type != 'none' ORDER BY time_ms DESC LIMIT 1)sql";

// Served by the partial index rescue_cases_by_truck_vin, because truck_vin = ?1 implies
// truck_vin IS NOT NULL.
constexpr std::string_view kWhereDispatchedTruck =
    "WHERE truck_vin = ?1 AND state = 'dispatched' ORDER BY id DESC LIMIT 1";

constexpr std::string_view kEscalate = R"sql(
UPDATE rescue_cases SET escalation_level = escalation_level + 1, escalation_due_ms = ?1 + ?2,
    updated_time_ms = ?1
WHERE state = 'open' AND escalation_due_ms <= ?1
RETURNING id, vin, escalation_level)sql";

std::shared_ptr<spdlog::logger> logger() {
    return component_logger("rescue");
}

std::optional<GeoPosition> optional_position(const SqliteStatement& row, int column) {
    auto latitude = row.column_optional_double(column);
    auto longitude = row.column_optional_double(column + 1);
    if (!latitude || !longitude) {
        return std::nullopt;
    }
    return GeoPosition{*latitude, *longitude};
}

RescueCase read_case(const SqliteStatement& row) {
    RescueCase c;
    c.id = row.column_int64(0);
    c.vin = row.column_text(1);
    c.state = parse_rescue_state(row.column_text(2)).value_or(RescueState::Open);
    c.trigger = row.column_text(3);
    c.event_seq = row.column_int64(4);
    c.event_time_ms = row.column_int64(5);
    c.position = optional_position(row, 6);
    c.opened_time_ms = row.column_int64(8);
    c.updated_time_ms = row.column_int64(9);
    c.escalation_level = static_cast<int>(row.column_int64(10));
    c.escalation_due_ms = row.column_optional_int64(11);
    c.operator_name = row.column_text(12);
    c.dealer_id = row.column_text(13);
    c.truck_position = optional_position(row, 14);
    c.truck_eta_time_ms = row.column_optional_int64(16);
    c.truck_vin = row.column_text(17);
    c.truck_position_time_ms = row.column_optional_int64(18);
    return c;
}

Result<std::vector<RescueCase>> select_cases(SqliteDatabase& db,
                                             std::string_view where,
                                             const std::function<void(SqliteStatement&)>& bind) {
    auto query = db.prepare(fmt::format("{}{}", kSelectCase, where));
    if (!query) {
        return Error{query.error()};
    }
    bind(query.value());
    std::vector<RescueCase> cases;
    auto read = query.value().for_each_row(
        [&cases](const SqliteStatement& row) { cases.push_back(read_case(row)); });
    if (!read) {
        return Error{read.error()};
    }
    return cases;
}

void bind_position(SqliteStatement& statement, int index, const std::optional<GeoPosition>& at) {
    if (at) {
        statement.bind(index, at->latitude_deg);
        statement.bind(index + 1, at->longitude_deg);
    }
}

Result<std::int64_t> insert_history(SqliteDatabase& db,
                                    std::int64_t case_id,
                                    std::string_view step,
                                    std::int64_t time_ms,
                                    const std::string& detail) {
    auto insert = db.prepare(kInsertHistory);
    if (!insert) {
        return Error{insert.error()};
    }
    insert.value().bind(1, case_id);
    insert.value().bind(2, step);
    insert.value().bind(3, time_ms);
    insert.value().bind(4, detail);
    if (auto inserted = insert.value().execute(); !inserted) {
        return Error{inserted.error()};
    }
    return db.last_insert_rowid();
}

Status update_case(SqliteDatabase& db, const RescueCase& c) {
    auto update = db.prepare(kUpdateCase);
    if (!update) {
        return Error{update.error()};
    }
    auto& statement = update.value();
    statement.bind(1, c.id);
    statement.bind(2, to_string(c.state));
    statement.bind(3, c.updated_time_ms);
    statement.bind(4, std::int64_t{c.escalation_level});
    statement.bind(5, c.escalation_due_ms);
    statement.bind(6, c.operator_name);
    statement.bind(7, c.dealer_id);
    bind_position(statement, 8, c.truck_position);
    statement.bind(10, c.truck_eta_time_ms);
    statement.bind(11, c.truck_vin);
    statement.bind(12, c.truck_position_time_ms);
    return statement.execute();
}

// Runs `body` in a write transaction and commits it when `body` succeeds.
Result<RescueCase> in_transaction(SqliteDatabase& db,
                                  const std::function<Result<RescueCase>()>& body) {
    if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
        return Error{begun.error()};
    }
    auto result = body();
    Status ended = result ? db.exec("COMMIT") : Status(Error{result.error()});
    if (!ended && db.in_transaction()) {
        (void)db.exec("ROLLBACK");
    }
    if (!ended) {
        return Error{ended.error()};
    }
    return result;
}

bool is_emergency(const protocol::DecodedUplink& uplink) {
    if (uplink.channel != protocol::Channel::Event || !uplink.message.has_event()) {
        return false;
    }
    const auto type = uplink.message.event().type();
    return type == v1::EVENT_TYPE_CRASH || type == v1::EVENT_TYPE_SOS;
}

std::string step_message(RescueState state) {
    switch (state) {
        case RescueState::Dispatched:
            return "A rescue truck is on its way.";
        case RescueState::OnScene:
            return "The rescue truck has arrived.";
        case RescueState::Towing:
            return "Your car is being towed to the dealer.";
        case RescueState::RepairedOnSite:
            return "Your car was repaired on site.";
        case RescueState::Closed:
            return "Your rescue case is closed.";
        default:
            return "Your rescue case was updated.";
    }
}

// The event's own location, else the latest position the car reported.
std::optional<GeoPosition> event_position(SqliteDatabase& db,
                                          const protocol::DecodedUplink& uplink) {
    const auto& event = uplink.message.event();
    if (event.has_location()) {
        return GeoPosition{event.location().latitude_deg(), event.location().longitude_deg()};
    }
    auto query = db.prepare(kLastPosition);
    if (!query) {
        logger()->error("vin={} reading the last position: {}", uplink.vin, query.error());
        return std::nullopt;
    }
    query.value().bind(1, uplink.vin);
    std::optional<GeoPosition> position;
    (void)query.value().for_each_row([&position](const SqliteStatement& row) {
        position = GeoPosition{row.column_double(0), row.column_double(1)};
    });
    return position;
}

struct TruckFix {
    GeoPosition position;
    std::int64_t time_ms = 0;
};

// The latest sample of the batch, by measurement time, that has a position fix.
std::optional<TruckFix> latest_fix(const v1::SampleBatch& batch) {
    std::optional<TruckFix> latest;
    for (const auto& sample : batch.samples()) {
        const auto& location = sample.location();
        if (location.fix_type() == v1::FIX_TYPE_NONE) {
            continue;
        }
        if (!latest || sample.time_ms() >= latest->time_ms) {
            latest = TruckFix{GeoPosition{location.latitude_deg(), location.longitude_deg()},
                              sample.time_ms()};
        }
    }
    return latest;
}

Result<std::int64_t> insert_case(SqliteDatabase& db, const RescueCase& c) {
    auto insert = db.prepare(kInsertCase);
    if (!insert) {
        return Error{insert.error()};
    }
    auto& statement = insert.value();
    statement.bind(1, c.vin);
    statement.bind(2, c.trigger);
    statement.bind(3, c.event_seq);
    statement.bind(4, c.event_time_ms);
    bind_position(statement, 5, c.position);
    statement.bind(7, c.opened_time_ms);
    statement.bind(8, c.escalation_due_ms);
    statement.bind(9, c.dealer_id);
    if (auto inserted = statement.execute(); !inserted) {
        return Error{inserted.error()};
    }
    return db.last_insert_rowid();
}

Status link_event(SqliteDatabase& db, const RescueCase& c, const protocol::DecodedUplink& uplink) {
    auto insert = db.prepare(kInsertCaseEvent);
    if (!insert) {
        return Error{insert.error()};
    }
    insert.value().bind(1, uplink.vin);
    insert.value().bind(2, static_cast<std::int64_t>(uplink.message.seq()));
    insert.value().bind(3, c.id);
    return insert.value().execute();
}

// Returns ok when `truck_vin` may be the truck of case `c`: it is not the car itself and not the
// truck of another dispatched case, whose car would otherwise lose the truck's updates.
Status check_truck_free(SqliteDatabase& db, const RescueCase& c, const std::string& truck_vin) {
    if (truck_vin == c.vin) {
        return Error{fmt::format(
            "rescue case {}: truck VIN '{}' is the VIN of the car in the case", c.id, truck_vin)};
    }
    auto busy = select_cases(
        db, kWhereDispatchedTruck, [&](SqliteStatement& query) { query.bind(1, truck_vin); });
    if (!busy) {
        return Error{busy.error()};
    }
    if (!busy.value().empty() && busy.value().front().id != c.id) {
        return Error{
            fmt::format("rescue case {}: truck VIN '{}' is already dispatched to rescue "
                        "case {}. Advance that case to 'on_scene' first, or name another truck.",
                        c.id,
                        truck_vin,
                        busy.value().front().id)};
    }
    return ok_status();
}

}  // namespace

Status RescueCases::insert_dealers(SqliteDatabase& db,
                                   std::int64_t case_id,
                                   const std::vector<dealers::RankedDealer>& ranked,
                                   std::int64_t now_ms) const {
    auto insert = db.prepare(kInsertDealer);
    if (!insert) {
        return Error{insert.error()};
    }
    auto& statement = insert.value();
    for (std::size_t rank = 0; rank < ranked.size(); ++rank) {
        const auto& entry = ranked[rank];
        statement.bind(1, case_id);
        statement.bind(2, static_cast<std::int64_t>(rank + 1));
        statement.bind(3, entry.dealer.id);
        statement.bind(4, entry.dealer.name);
        statement.bind(5, entry.dealer.city);
        statement.bind(6, entry.distance_km);
        statement.bind(7, estimate_arrival_ms(entry.distance_km, now_ms, true, options_));
        if (auto inserted = statement.execute(); !inserted) {
            return inserted;
        }
    }
    return ok_status();
}

Status RescueCases::add_case_dealers(SqliteDatabase& db,
                                     std::int64_t case_id,
                                     v1::RescueUpdate& update) const {
    auto query = db.prepare(kSelectDealers);
    if (!query) {
        return Error{query.error()};
    }
    query.value().bind(1, case_id);
    return query.value().for_each_row([&update](const SqliteStatement& row) {
        auto* dealer = update.add_dealers();
        dealer->set_dealer_id(row.column_text(0));
        dealer->set_name(row.column_text(1));
        dealer->set_city(row.column_text(2));
        dealer->set_distance_km(row.column_double(3));
        dealer->set_eta_time_ms(row.column_int64(4));
    });
}

void RescueCases::set_dispatch_eta(RescueCase& c, std::int64_t now_ms) const {
    const auto* dealer = network_.find(c.dealer_id);
    if (dealer == nullptr || !c.position) {
        return;
    }
    c.truck_position = dealer->position;
    const double distance_km = dealers::great_circle_distance_km(dealer->position, *c.position);
    c.truck_eta_time_ms = estimate_arrival_ms(distance_km, now_ms, true, options_);
}

std::int64_t estimate_arrival_ms(double distance_km,
                                 std::int64_t now_ms,
                                 bool include_preparation,
                                 const RescueOptions& options) {
    const double driving_h = distance_km * options.road_factor / options.truck_speed_kph;
    auto arrival_ms = now_ms + static_cast<std::int64_t>(std::llround(driving_h * 3'600'000.0));
    if (include_preparation) {
        arrival_ms += options.dispatch_preparation.count();
    }
    return arrival_ms;
}

RescueCases::RescueCases(const dealers::DealerNetwork& network, RescueOptions options)
    : network_(network), options_(std::move(options)) {}

Status RescueCases::on_stored(SqliteDatabase& db,
                              const ReceivedUplink& received,
                              std::vector<OutboundCommand>& commands) {
    const auto& uplink = received.uplink;
    if (is_emergency(uplink)) {
        return handle_emergency(db, received, commands);
    }
    if (uplink.channel == protocol::Channel::Telemetry && uplink.message.has_batch()) {
        return track_truck(db, received, commands);
    }
    return ok_status();
}

Status RescueCases::handle_emergency(SqliteDatabase& db,
                                     const ReceivedUplink& received,
                                     std::vector<OutboundCommand>& commands) const {
    const auto& uplink = received.uplink;
    const std::int64_t window_start_ms =
        uplink.message.event().time_ms() - options_.incident_window.count();
    auto open = select_cases(db,
                             "WHERE vin = ?1 AND state != 'closed' AND event_time_ms >= ?2 "
                             "ORDER BY id DESC LIMIT 1",
                             [&](SqliteStatement& query) {
                                 query.bind(1, uplink.vin);
                                 query.bind(2, window_start_ms);
                             });
    if (!open) {
        return Error{open.error()};
    }
    if (!open.value().empty()) {
        return join_case(db, open.value().front(), received, commands);
    }
    return open_case(db, received, commands);
}

Status RescueCases::track_truck(SqliteDatabase& db,
                                const ReceivedUplink& received,
                                std::vector<OutboundCommand>& commands) const {
    const auto& uplink = received.uplink;
    const auto fix = latest_fix(uplink.message.batch());
    if (!fix) {
        return ok_status();
    }
    auto dispatched = select_cases(
        db, kWhereDispatchedTruck, [&](SqliteStatement& query) { query.bind(1, uplink.vin); });
    if (!dispatched) {
        return Error{dispatched.error()};
    }
    if (dispatched.value().empty()) {
        return ok_status();
    }
    const RescueCase& c = dispatched.value().front();
    if (c.truck_position_time_ms && fix->time_ms <= *c.truck_position_time_ms) {
        logger()->debug(
            "vin={} seq={} truck position of rescue case {} is older than the stored "
            "one, ignored",
            uplink.vin,
            uplink.message.seq(),
            c.id);
        return ok_status();
    }
    const std::int64_t now_ms = received.received_time_ms;
    auto written = write_change(
        db,
        c,
        [&](RescueCase& tracked) {
            return move_truck(tracked, fix->position, fix->time_ms, now_ms);
        },
        now_ms);
    if (!written) {
        return Error{written.error()};
    }
    commands.push_back(std::move(written.value().command));
    logger()->debug("vin={} seq={} truck of rescue case {} (car vin={}) at {:.5f},{:.5f}",
                    uplink.vin,
                    uplink.message.seq(),
                    c.id,
                    c.vin,
                    fix->position.latitude_deg,
                    fix->position.longitude_deg);
    return ok_status();
}

Status RescueCases::open_case(SqliteDatabase& db,
                              const ReceivedUplink& received,
                              std::vector<OutboundCommand>& commands) const {
    const auto& uplink = received.uplink;
    const auto& event = uplink.message.event();
    const std::int64_t now_ms = received.received_time_ms;

    RescueCase c;
    c.vin = uplink.vin;
    c.trigger = event.type() == v1::EVENT_TYPE_CRASH ? "crash" : "sos";
    c.event_seq = static_cast<std::int64_t>(uplink.message.seq());
    c.event_time_ms = event.time_ms();
    c.position = event_position(db, uplink);
    c.opened_time_ms = now_ms;
    c.updated_time_ms = now_ms;
    c.escalation_due_ms = now_ms + options_.escalation_timeout.count();
    std::vector<dealers::RankedDealer> ranked;
    if (c.position) {
        ranked = network_.rank_for_rescue(*c.position, options_.ranking);
    }
    if (!ranked.empty()) {
        c.dealer_id = ranked.front().dealer.id;
    }

    auto id = insert_case(db, c);
    if (!id) {
        return Error{id.error()};
    }
    c.id = id.value();
    if (auto linked = link_event(db, c, uplink); !linked) {
        return linked;
    }
    if (auto stored = insert_dealers(db, c.id, ranked, now_ms); !stored) {
        return stored;
    }
    const std::string message =
        ranked.empty() ? "Help is on the way. An operator will call you."
                       : fmt::format("Help is on the way from {}.", ranked.front().dealer.name);
    auto history = insert_history(db, c.id, "open", now_ms, fmt::format("{} event", c.trigger));
    if (!history) {
        return Error{history.error()};
    }
    auto command = queue_update(db, c, history.value(), message, now_ms);
    if (!command) {
        return Error{command.error()};
    }
    commands.push_back(std::move(command).value());
    logger()->warn("vin={} seq={} rescue case {} opened for a {} event, {} dealers ranked",
                   c.vin,
                   c.event_seq,
                   c.id,
                   c.trigger,
                   ranked.size());
    return ok_status();
}

Status RescueCases::join_case(SqliteDatabase& db,
                              const RescueCase& open_case,
                              const ReceivedUplink& received,
                              std::vector<OutboundCommand>& commands) const {
    const auto& uplink = received.uplink;
    if (auto linked = link_event(db, open_case, uplink); !linked) {
        return linked;
    }
    const auto seq = uplink.message.seq();
    auto history = insert_history(db,
                                  open_case.id,
                                  "event_joined",
                                  received.received_time_ms,
                                  fmt::format("event seq {}", seq));
    if (!history) {
        return Error{history.error()};
    }
    auto command = queue_update(db,
                                open_case,
                                history.value(),
                                "Your rescue case is already open. Help is on the way.",
                                received.received_time_ms);
    if (!command) {
        return Error{command.error()};
    }
    commands.push_back(std::move(command).value());
    logger()->info("vin={} seq={} event joins open rescue case {}", uplink.vin, seq, open_case.id);
    return ok_status();
}

Result<OutboundCommand> RescueCases::queue_update(SqliteDatabase& db,
                                                  const RescueCase& c,
                                                  std::int64_t history_id,
                                                  const std::string& message,
                                                  std::int64_t now_ms) const {
    v1::Downlink downlink;
    downlink.set_sent_time_ms(now_ms);
    downlink.set_command_id(fmt::format("rescue-{}-{}", c.id, history_id));
    auto* update = downlink.mutable_rescue_update();
    update->set_case_id(std::to_string(c.id));
    update->set_status(to_rescue_status(c.state));
    update->set_operator_name(c.operator_name);
    update->set_message(message);
    if (c.truck_position) {
        update->mutable_truck_location()->set_latitude_deg(c.truck_position->latitude_deg);
        update->mutable_truck_location()->set_longitude_deg(c.truck_position->longitude_deg);
    }
    if (c.truck_eta_time_ms) {
        update->set_truck_eta_time_ms(*c.truck_eta_time_ms);
    }
    if (const auto* dealer = network_.find(c.dealer_id); dealer && c.state != RescueState::Open) {
        update->set_dealer_name(dealer->name);
    }
    if (auto listed = add_case_dealers(db, c.id, *update); !listed) {
        return Error{listed.error()};
    }
    return enqueue_downlink(db, c.vin, downlink, now_ms);
}

Result<RescueCase> RescueCases::change(SqliteDatabase& db,
                                       std::int64_t case_id,
                                       const CaseChange& apply,
                                       std::int64_t now_ms) const {
    return in_transaction(db, [&]() -> Result<RescueCase> {
        auto found = find(db, case_id);
        if (!found) {
            return found;
        }
        auto written = write_change(db, std::move(found).value(), apply, now_ms);
        if (!written) {
            return Error{written.error()};
        }
        return std::move(written.value().rescue_case);
    });
}

Result<RescueCases::WrittenChange> RescueCases::write_change(SqliteDatabase& db,
                                                             RescueCase c,
                                                             const CaseChange& apply,
                                                             std::int64_t now_ms) const {
    const RescueState before = c.state;
    auto message = apply(c);
    if (!message) {
        return Error{message.error()};
    }
    c.updated_time_ms = now_ms;
    if (auto updated = update_case(db, c); !updated) {
        return Error{updated.error()};
    }
    const auto step =
        before == c.state ? std::string("truck_position") : std::string(to_string(c.state));
    auto history = insert_history(db, c.id, step, now_ms, message.value());
    if (!history) {
        return Error{history.error()};
    }
    auto command = queue_update(db, c, history.value(), message.value(), now_ms);
    if (!command) {
        return Error{command.error()};
    }
    return WrittenChange{std::move(c), std::move(command).value()};
}

Result<RescueCase> RescueCases::take(SqliteDatabase& db,
                                     std::int64_t case_id,
                                     const std::string& operator_name,
                                     std::int64_t now_ms) const {
    if (operator_name.empty()) {
        return Error{fmt::format("taking rescue case {}: the operator name is missing", case_id)};
    }
    auto taken = change(
        db,
        case_id,
        [&](RescueCase& c) -> Result<std::string> {
            if (auto allowed = check_transition(c.id, c.state, RescueState::Taken); !allowed) {
                return Error{allowed.error()};
            }
            c.state = RescueState::Taken;
            c.operator_name = operator_name;
            c.escalation_due_ms.reset();
            return fmt::format("{} is handling your case.", operator_name);
        },
        now_ms);
    if (taken) {
        logger()->info("vin={} rescue case {} taken by {}", taken->vin, case_id, operator_name);
    }
    return taken;
}

Result<RescueCase> RescueCases::advance(SqliteDatabase& db,
                                        std::int64_t case_id,
                                        RescueState to,
                                        const std::string& dealer_id,
                                        std::int64_t now_ms,
                                        const std::string& truck_vin) const {
    const dealers::Dealer* dealer = nullptr;
    if (!dealer_id.empty() && (dealer = network_.find(dealer_id)) == nullptr) {
        return Error{fmt::format("rescue case {}: dealer '{}' not found", case_id, dealer_id)};
    }
    if (!truck_vin.empty()) {
        if (to != RescueState::Dispatched) {
            return Error{fmt::format(
                "rescue case {}: truck VIN '{}' is accepted only when advancing to 'dispatched'",
                case_id,
                truck_vin)};
        }
        if (auto valid = protocol::validate_vin(truck_vin); !valid) {
            return Error{fmt::format("rescue case {}: truck {}", case_id, valid.error())};
        }
    }
    auto advanced = change(
        db,
        case_id,
        [&](RescueCase& c) -> Result<std::string> {
            if (auto allowed = check_transition(c.id, c.state, to); !allowed) {
                return Error{allowed.error()};
            }
            if (!truck_vin.empty()) {
                if (auto free = check_truck_free(db, c, truck_vin); !free) {
                    return Error{free.error()};
                }
                c.truck_vin = truck_vin;
            }
            c.state = to;
            if (dealer != nullptr) {
                c.dealer_id = dealer->id;
            }
            if (to == RescueState::Dispatched) {
                set_dispatch_eta(c, now_ms);
            }
            return step_message(to);
        },
        now_ms);
    if (advanced) {
        logger()->info(
            "vin={} rescue case {} is {}{}",
            advanced->vin,
            case_id,
            to_string(to),
            truck_vin.empty() ? std::string() : fmt::format(", truck vin={}", truck_vin));
    }
    return advanced;
}

Result<RescueCase> RescueCases::report_truck_position(SqliteDatabase& db,
                                                      std::int64_t case_id,
                                                      GeoPosition truck_position,
                                                      std::int64_t now_ms) const {
    return change(
        db,
        case_id,
        [&](RescueCase& c) { return move_truck(c, truck_position, std::nullopt, now_ms); },
        now_ms);
}

Result<std::string> RescueCases::move_truck(RescueCase& c,
                                            GeoPosition truck_position,
                                            std::optional<std::int64_t> position_time_ms,
                                            std::int64_t now_ms) const {
    if (c.state != RescueState::Dispatched) {
        return Error{fmt::format(
            "rescue case {} is '{}': a truck position is accepted only when 'dispatched'",
            c.id,
            to_string(c.state))};
    }
    c.truck_position = truck_position;
    if (position_time_ms) {
        c.truck_position_time_ms = position_time_ms;
    }
    if (c.position) {
        const double distance_km = dealers::great_circle_distance_km(truck_position, *c.position);
        c.truck_eta_time_ms = estimate_arrival_ms(distance_km, now_ms, false, options_);
    }
    return std::string("The rescue truck is on its way.");
}

Result<std::vector<Escalation>> RescueCases::escalate_due(SqliteDatabase& db,
                                                          std::int64_t now_ms) const {
    std::vector<Escalation> escalations;
    auto escalated = in_transaction(db, [&]() -> Result<RescueCase> {
        auto update = db.prepare(kEscalate);
        if (!update) {
            return Error{update.error()};
        }
        update.value().bind(1, now_ms);
        update.value().bind(2, std::int64_t{options_.escalation_timeout.count()});
        auto read = update.value().for_each_row([&](const SqliteStatement& row) {
            escalations.push_back(Escalation{
                row.column_int64(0), row.column_text(1), static_cast<int>(row.column_int64(2))});
        });
        if (!read) {
            return Error{read.error()};
        }
        for (const auto& escalation : escalations) {
            auto history = insert_history(db,
                                          escalation.case_id,
                                          "escalated",
                                          now_ms,
                                          fmt::format("level {}", escalation.level));
            if (!history) {
                return Error{history.error()};
            }
        }
        return RescueCase{};
    });
    if (!escalated) {
        return Error{escalated.error()};
    }
    return escalations;
}

Result<RescueCase> RescueCases::find(SqliteDatabase& db, std::int64_t case_id) const {
    auto found = select_cases(
        db, "WHERE id = ?1", [case_id](SqliteStatement& query) { query.bind(1, case_id); });
    if (!found) {
        return Error{found.error()};
    }
    if (found.value().empty()) {
        return Error{fmt::format("rescue case {} not found", case_id)};
    }
    return found.value().front();
}

Result<std::vector<RescueCase>> RescueCases::list_active(SqliteDatabase& db,
                                                         std::optional<int> level) const {
    return select_cases(db,
                        "WHERE state != 'closed' AND (?1 IS NULL OR escalation_level = ?1) "
                        "ORDER BY id",
                        [level](SqliteStatement& query) {
                            if (level) {
                                query.bind(1, std::int64_t{*level});
                            }
                        });
}

}  // namespace drivelink::cloud::rescue
