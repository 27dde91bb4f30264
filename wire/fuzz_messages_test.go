// One fuzz target per message decoder, so that `go test -fuzz=FuzzMsgX`
// explores one decoder at a time. The list follows the message types of
// message.go; update_add_htlc has its own target in fuzz_helpers_test.go.

package wire

import "testing"

// FuzzMsgWarning fuzzes the decoder of MsgWarning.
func FuzzMsgWarning(f *testing.F) { fuzzMessageType(f, MsgWarning) }

// FuzzMsgStfu fuzzes the decoder of MsgStfu.
func FuzzMsgStfu(f *testing.F) { fuzzMessageType(f, MsgStfu) }

// FuzzMsgPeerStorage fuzzes the decoder of MsgPeerStorage.
func FuzzMsgPeerStorage(f *testing.F) { fuzzMessageType(f, MsgPeerStorage) }

// FuzzMsgPeerStorageRetrieval fuzzes the decoder of MsgPeerStorageRetrieval.
func FuzzMsgPeerStorageRetrieval(f *testing.F) { fuzzMessageType(f, MsgPeerStorageRetrieval) }

// FuzzMsgInit fuzzes the decoder of MsgInit.
func FuzzMsgInit(f *testing.F) { fuzzMessageType(f, MsgInit) }

// FuzzMsgError fuzzes the decoder of MsgError.
func FuzzMsgError(f *testing.F) { fuzzMessageType(f, MsgError) }

// FuzzMsgPing fuzzes the decoder of MsgPing.
func FuzzMsgPing(f *testing.F) { fuzzMessageType(f, MsgPing) }

// FuzzMsgPong fuzzes the decoder of MsgPong.
func FuzzMsgPong(f *testing.F) { fuzzMessageType(f, MsgPong) }

// FuzzMsgOpenChannel fuzzes the decoder of MsgOpenChannel.
func FuzzMsgOpenChannel(f *testing.F) { fuzzMessageType(f, MsgOpenChannel) }

// FuzzMsgAcceptChannel fuzzes the decoder of MsgAcceptChannel.
func FuzzMsgAcceptChannel(f *testing.F) { fuzzMessageType(f, MsgAcceptChannel) }

// FuzzMsgFundingCreated fuzzes the decoder of MsgFundingCreated.
func FuzzMsgFundingCreated(f *testing.F) { fuzzMessageType(f, MsgFundingCreated) }

// FuzzMsgFundingSigned fuzzes the decoder of MsgFundingSigned.
func FuzzMsgFundingSigned(f *testing.F) { fuzzMessageType(f, MsgFundingSigned) }

// FuzzMsgChannelReady fuzzes the decoder of MsgChannelReady.
func FuzzMsgChannelReady(f *testing.F) { fuzzMessageType(f, MsgChannelReady) }

// FuzzMsgShutdown fuzzes the decoder of MsgShutdown.
func FuzzMsgShutdown(f *testing.F) { fuzzMessageType(f, MsgShutdown) }

// FuzzMsgClosingSigned fuzzes the decoder of MsgClosingSigned.
func FuzzMsgClosingSigned(f *testing.F) { fuzzMessageType(f, MsgClosingSigned) }

// FuzzMsgClosingComplete fuzzes the decoder of MsgClosingComplete.
func FuzzMsgClosingComplete(f *testing.F) { fuzzMessageType(f, MsgClosingComplete) }

// FuzzMsgClosingSig fuzzes the decoder of MsgClosingSig.
func FuzzMsgClosingSig(f *testing.F) { fuzzMessageType(f, MsgClosingSig) }

// FuzzMsgOpenChannel2 fuzzes the decoder of MsgOpenChannel2.
func FuzzMsgOpenChannel2(f *testing.F) { fuzzMessageType(f, MsgOpenChannel2) }

// FuzzMsgAcceptChannel2 fuzzes the decoder of MsgAcceptChannel2.
func FuzzMsgAcceptChannel2(f *testing.F) { fuzzMessageType(f, MsgAcceptChannel2) }

// FuzzMsgTxAddInput fuzzes the decoder of MsgTxAddInput.
func FuzzMsgTxAddInput(f *testing.F) { fuzzMessageType(f, MsgTxAddInput) }

// FuzzMsgTxAddOutput fuzzes the decoder of MsgTxAddOutput.
func FuzzMsgTxAddOutput(f *testing.F) { fuzzMessageType(f, MsgTxAddOutput) }

// FuzzMsgTxRemoveInput fuzzes the decoder of MsgTxRemoveInput.
func FuzzMsgTxRemoveInput(f *testing.F) { fuzzMessageType(f, MsgTxRemoveInput) }

// FuzzMsgTxRemoveOutput fuzzes the decoder of MsgTxRemoveOutput.
func FuzzMsgTxRemoveOutput(f *testing.F) { fuzzMessageType(f, MsgTxRemoveOutput) }

// FuzzMsgTxComplete fuzzes the decoder of MsgTxComplete.
func FuzzMsgTxComplete(f *testing.F) { fuzzMessageType(f, MsgTxComplete) }

// FuzzMsgTxSignatures fuzzes the decoder of MsgTxSignatures.
func FuzzMsgTxSignatures(f *testing.F) { fuzzMessageType(f, MsgTxSignatures) }

// FuzzMsgTxInitRBF fuzzes the decoder of MsgTxInitRBF.
func FuzzMsgTxInitRBF(f *testing.F) { fuzzMessageType(f, MsgTxInitRBF) }

// FuzzMsgTxAckRBF fuzzes the decoder of MsgTxAckRBF.
func FuzzMsgTxAckRBF(f *testing.F) { fuzzMessageType(f, MsgTxAckRBF) }

// FuzzMsgTxAbort fuzzes the decoder of MsgTxAbort.
func FuzzMsgTxAbort(f *testing.F) { fuzzMessageType(f, MsgTxAbort) }

// FuzzMsgSpliceLocked fuzzes the decoder of MsgSpliceLocked.
func FuzzMsgSpliceLocked(f *testing.F) { fuzzMessageType(f, MsgSpliceLocked) }

// FuzzMsgSpliceInit fuzzes the decoder of MsgSpliceInit.
func FuzzMsgSpliceInit(f *testing.F) { fuzzMessageType(f, MsgSpliceInit) }

// FuzzMsgSpliceAck fuzzes the decoder of MsgSpliceAck.
func FuzzMsgSpliceAck(f *testing.F) { fuzzMessageType(f, MsgSpliceAck) }

// FuzzMsgStartBatch fuzzes the decoder of MsgStartBatch.
func FuzzMsgStartBatch(f *testing.F) { fuzzMessageType(f, MsgStartBatch) }

// FuzzMsgUpdateFulfillHTLC fuzzes the decoder of MsgUpdateFulfillHTLC.
func FuzzMsgUpdateFulfillHTLC(f *testing.F) { fuzzMessageType(f, MsgUpdateFulfillHTLC) }

// FuzzMsgUpdateFailHTLC fuzzes the decoder of MsgUpdateFailHTLC.
func FuzzMsgUpdateFailHTLC(f *testing.F) { fuzzMessageType(f, MsgUpdateFailHTLC) }

// FuzzMsgCommitmentSigned fuzzes the decoder of MsgCommitmentSigned.
func FuzzMsgCommitmentSigned(f *testing.F) { fuzzMessageType(f, MsgCommitmentSigned) }

// FuzzMsgRevokeAndAck fuzzes the decoder of MsgRevokeAndAck.
func FuzzMsgRevokeAndAck(f *testing.F) { fuzzMessageType(f, MsgRevokeAndAck) }

// FuzzMsgUpdateFee fuzzes the decoder of MsgUpdateFee.
func FuzzMsgUpdateFee(f *testing.F) { fuzzMessageType(f, MsgUpdateFee) }

// FuzzMsgUpdateFailMalformedHTLC fuzzes the decoder of MsgUpdateFailMalformedHTLC.
func FuzzMsgUpdateFailMalformedHTLC(f *testing.F) { fuzzMessageType(f, MsgUpdateFailMalformedHTLC) }

// FuzzMsgChannelReestablish fuzzes the decoder of MsgChannelReestablish.
func FuzzMsgChannelReestablish(f *testing.F) { fuzzMessageType(f, MsgChannelReestablish) }

// FuzzMsgChannelAnnouncement fuzzes the decoder of MsgChannelAnnouncement.
func FuzzMsgChannelAnnouncement(f *testing.F) { fuzzMessageType(f, MsgChannelAnnouncement) }

// FuzzMsgNodeAnnouncement fuzzes the decoder of MsgNodeAnnouncement.
func FuzzMsgNodeAnnouncement(f *testing.F) { fuzzMessageType(f, MsgNodeAnnouncement) }

// FuzzMsgChannelUpdate fuzzes the decoder of MsgChannelUpdate.
func FuzzMsgChannelUpdate(f *testing.F) { fuzzMessageType(f, MsgChannelUpdate) }

// FuzzMsgAnnouncementSignatures fuzzes the decoder of MsgAnnouncementSignatures.
func FuzzMsgAnnouncementSignatures(f *testing.F) { fuzzMessageType(f, MsgAnnouncementSignatures) }

// FuzzMsgQueryShortChannelIDs fuzzes the decoder of MsgQueryShortChannelIDs.
func FuzzMsgQueryShortChannelIDs(f *testing.F) { fuzzMessageType(f, MsgQueryShortChannelIDs) }

// FuzzMsgReplyShortChannelIDsEnd fuzzes the decoder of MsgReplyShortChannelIDsEnd.
func FuzzMsgReplyShortChannelIDsEnd(f *testing.F) { fuzzMessageType(f, MsgReplyShortChannelIDsEnd) }

// FuzzMsgQueryChannelRange fuzzes the decoder of MsgQueryChannelRange.
func FuzzMsgQueryChannelRange(f *testing.F) { fuzzMessageType(f, MsgQueryChannelRange) }

// FuzzMsgReplyChannelRange fuzzes the decoder of MsgReplyChannelRange.
func FuzzMsgReplyChannelRange(f *testing.F) { fuzzMessageType(f, MsgReplyChannelRange) }

// FuzzMsgGossipTimestampFilter fuzzes the decoder of MsgGossipTimestampFilter.
func FuzzMsgGossipTimestampFilter(f *testing.F) { fuzzMessageType(f, MsgGossipTimestampFilter) }

// FuzzMsgOnionMessage fuzzes the decoder of MsgOnionMessage.
func FuzzMsgOnionMessage(f *testing.F) { fuzzMessageType(f, MsgOnionMessage) }
