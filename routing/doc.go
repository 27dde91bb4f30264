// Package routing is the channel graph a payer keeps from gossip and the
// pathfinder that turns it into routes: BOLT 7's view of the network
// ("Routing Gossip", "Pruning the Network View", "Recommendations for
// Routing", "HTLC Fees") and BOLT 4's route construction (each hop's
// amt_to_forward and outgoing_cltv_value, "Basic Multi-Part Payments").
//
// # The graph
//
// A Graph holds channels by short_channel_id, with their capacity when
// the caller knows it and, per direction, the newest channel_update's
// policy (fee_base_msat, fee_proportional_millionths, cltv_expiry_delta,
// htlc_minimum_msat, htlc_maximum_msat, the disable bit, the timestamp),
// and the newest node_announcement of each node. The caller verifies
// signatures and funding outputs (wire's VerifySignature methods, its
// chain source) and hands in only what passed: AddChannel,
// ApplyChannelUpdate, ApplyNodeAnnouncement. The graph applies BOLT 7's
// receiving rules it can see: one chain, node_id_1 < node_id_2, an update
// only if newer than the one held, no node_announcement for a node
// without channels, no gossip for a channel marked closed (MarkClosed).
// PruneStale removes, given the caller's now, the channels whose older
// direction was last updated more than two weeks before (BOLT 7: "if the
// timestamp of the latest channel_update in either direction is older
// than two weeks"; its rationale is that both ends must be alive, so one
// stale direction is enough).
//
// The graph keeps about 240 bytes per channel (BenchmarkPathfind reports
// bytes/channel): a 40-byte channel slot, and for each direction a
// 48-byte entry in the adjacency of the node it leads to, holding the
// sending node's policy, so that the backward search reads each settled
// node's incoming directions in one sequential scan. 50,000 channels take
// about 12 MB. It keeps no signatures, so it cannot re-broadcast gossip.
//
// # Persistence
//
// OpenGraph loads a graph from a store.Store under a prefix and binds it
// there; Flush writes what changed since the last Flush as deltas: one
// record per channel (c/<scid>, 141 bytes, both policies), one per node
// (n/<node id>, the node_announcement), a tombstone per closed channel
// (x/<scid>). A channel_update rewrites one record. Gossip lost in a
// crash is fetched again from peers, so the host flushes when it likes.
//
// # Pathfinding
//
// FindRoute runs Dijkstra's algorithm from the payee back to the payer,
// so that each node's label is exactly the amount it must receive and the
// CLTV delta of the HTLC it is offered: starting from the payee's amount
// and min_final_cltv_expiry_delta, each earlier hop adds its fee on what
// it forwards and its cltv_expiry_delta; the payer adds neither. Every
// direction used has a channel_update, is not disabled, has consistent
// HTLC limits (htlc_minimum ≤ htlc_maximum ≤ capacity, or the channel is
// ignored, as BOLT 7 says) that bracket the amount, and a capacity at
// least the amount. The payer's own channels come from the request as
// LocalChannels with their live spendable balances; BOLT 11 route hints
// add private channels into the payee with their own fees and deltas;
// MaxFee, MaxCLTV, MaxHops, excluded channels and nodes bound the rest.
// The Route it returns has, per hop, the short_channel_id into the node,
// the node, its amt_to_forward and outgoing_cltv_value, and the totals:
// what the onion builder needs (see Hop).
//
// The cost minimised (CostModel) is fees, plus a price for the timelock
// (amount × delta × LockCostPPB), plus the attempt cost divided by the
// route's success probability. A hop's probability takes the channel's
// liquidity as uniform on [0, capacity] (htlc_maximum when the capacity
// is unknown) times HopProbability, narrowed by MissionControl. So a
// cheaper route over a channel that barely holds the amount loses to a
// dearer roomy one, and with IgnoreProbability the search is a plain
// least-fee Dijkstra, which the property tests compare with a brute-force
// search.
//
// # Mission control
//
// MissionControl records what attempts showed, with times from the
// caller: a success lower-bounds the liquidity of every channel it
// crossed; a temporary_channel_failure upper-bounds the failing
// direction below the amount; channel_disabled, unknown_next_peer and the
// permanent channel failures close the direction; a node failure
// penalises the node; a policy failure's enclosed channel_update (the
// caller verifies its signature) is applied to the graph. The payee's
// incorrect_or_unknown_payment_details is Final. Every memory fades with
// a half-life (DefaultHalfLife, an hour).
//
// # Multi-part payments
//
// FindRoutes returns one route when one carries the amount likely enough,
// else splits it (basic_mpp): parts of half the remaining amount, routed
// against the capacities and balances earlier parts used, halved again
// when no route carries them, down to a minimum part size. The parts sum
// exactly to the amount; the fee budget is shared in proportion.
//
// # Performance
//
// BenchmarkPathfind routes 50,000 sat between random pairs of a seeded
// 10,000-node, 50,000-channel graph with power-law degrees. Its floor,
// BenchmarkPathfindFloor, is a plain Dijkstra by fee alone over the same
// arrays. The benchmarks report cpu-ns/op (the process's CPU time), which
// holds when other processes share the cores, beside ns/op. Measured in
// one run (go test -bench Pathfind -benchtime 500x -count 3, medians) on
// the 2-core development machine while it was shared (load average about
// 20, so ns/op was 4 to 40 times cpu-ns/op and is not comparable):
//
//	benchmark        cpu-ns/op  allocs/op  ratio to floor
//	Pathfind         3.8 ms     3          5.9×
//	PathfindMission  4.9 ms     16         7.5×
//	PathfindFeesOnly 1.2 ms     3          1.8×
//	PathfindFloor    0.65 ms    0          1
//
// with 236 bytes per channel. The three allocations are the request the
// benchmark makes, the route and its hops; the search state is pooled.
//
// The default cost model settles about 3,600 nodes per query against
// about 1,000 for fees alone: the probability term makes every extra hop
// cost about a tenth of the attempt cost, so the search widens by hop
// count before it reaches the payer. The per-node work is the same.
//
// # Concurrency
//
// Graph and MissionControl are safe for concurrent use; FindRoute takes
// the graph's read lock, gossip its write lock. The package starts no
// goroutine and reads no clock.
//
// # Not done here
//
// The graph does not check node features (var_onion_optin and
// payment_secret are universal now); the caller checks the payee's
// basic_mpp before paying with several parts. Blinded paths, trampoline
// and shadow-route offsets (add them to FinalCLTVDelta) are the caller's.
// Mission control is kept in memory only.
package routing
