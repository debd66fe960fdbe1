// The tape: every recorded node of this thread, in execution order.
//
// Every node gets a sequence from one counter shared by all threads: a node is always
// recorded after the nodes that produced its inputs, so a higher sequence never feeds a
// lower one, even when a graph is built on several threads. Backward replays the nodes it
// reaches from the highest sequence down, so each node runs after every node that consumed
// its output. Entries are weak: a graph nobody references any more (an evaluation pass, a
// finished iteration) simply expires and is compacted away, so the tape does not grow
// across training iterations.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "autograd/node.hpp"

namespace tg {

class Tape {
 public:
  void append(const std::shared_ptr<Node>& node);
  std::size_t size() const { return entries_.size(); }  // including expired entries
  std::size_t live_size() const;
  void compact();  // drops expired entries

  struct Entry {
    std::uint64_t sequence;
    std::weak_ptr<Node> node;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::size_t compact_at_ = 4096;
};

// This thread's tape.
Tape& current_tape();

namespace autograd {

bool any_requires_grad(std::span<const Tensor> inputs);

// Appends a node for `output = op(inputs)`. `output` gets a fresh autograd identity (it is
// re-aliased first if the forward returned one of its inputs). The saved tensors' versions
// (and the output's, if saved) are taken now, after the forward's own writes. Called by the
// op dispatcher.
void record(std::string_view name, std::span<const Tensor> inputs, Tensor& output, std::vector<SavedTensor> saved,
            bool saves_output, std::any attrs, BackwardFn backward);

}  // namespace autograd
}  // namespace tg
