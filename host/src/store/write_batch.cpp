#include "store/write_batch.h"

#include "store/state_store.h"

namespace sh::host {

void WriteBatch::put(StateDb db, std::string_view key, std::string_view value) {
  ops_.push_back(Op{Kind::kPut, db, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()),
                    arena_.size()});
  arena_.append(key);
  arena_.append(value);
}

void WriteBatch::del(StateDb db, std::string_view key) {
  ops_.push_back(Op{Kind::kDel, db, static_cast<uint32_t>(key.size()), 0, arena_.size()});
  arena_.append(key);
}

void WriteBatch::hook(Hook fn) {
  ops_.push_back(Op{Kind::kHook, StateDb::kMeta, 0, 0, hooks_.size()});
  hooks_.push_back(std::move(fn));
}

void WriteBatch::before_txn(std::function<Status()> fn) { before_.push_back(std::move(fn)); }

Status WriteBatch::run_before_txn() const {
  for (const auto& fn : before_) {
    const Status st = fn();
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status WriteBatch::apply(StateTxn& txn) const {
  const std::string_view arena(arena_);
  for (const Op& op : ops_) {
    Status st;
    switch (op.kind) {
      case Kind::kPut:
        st = txn.put(op.db, arena.substr(op.at, op.key_len), arena.substr(op.at + op.key_len, op.value_len));
        break;
      case Kind::kDel:
        st = txn.del(op.db, arena.substr(op.at, op.key_len));
        if (st.is_not_found()) st = Status::Ok();
        break;
      case Kind::kHook:
        st = hooks_[op.at](txn);
        break;
    }
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

void WriteBatch::clear() {
  ops_.clear();
  arena_.clear();
  hooks_.clear();
  before_.clear();
}

// The staged side of StateTxn (state_store.h).
StateTxn StateTxn::staged(WriteBatch* batch) {
  StateTxn txn;
  txn.batch_ = batch;
  txn.writable_ = true;
  return txn;
}

Status StateTxn::in_txn(std::function<Status(StateTxn&)> fn) {
  if (batch_ != nullptr) {
    batch_->hook(std::move(fn));
    return Status::Ok();
  }
  if (!active() || !writable_) {
    return Status::FailedPrecondition("state store: in_txn needs an active write txn");
  }
  return fn(*this);
}

}  // namespace sh::host
