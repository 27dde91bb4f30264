// Demo calls package mobile through the classes gobind generates, as an
// Android app would: it decodes an invoice and derives a BIP 39 seed
// without a node, then runs two nodes on a simulated chain whose
// ChainBackend and Wallet are implemented here, in Java (delegating to
// the simulated ones), with a Java EventListener, and pays an invoice and
// a keysend. mobile/bind/run compiles it against the generated classes
// and, when the native library could be built, runs it.

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import mobile.BlockTxs;
import mobile.ChainBackend;
import mobile.Config;
import mobile.CustomRecords;
import mobile.DecodedInvoice;
import mobile.EventListener;
import mobile.FundRequest;
import mobile.FundedPsbt;
import mobile.Invoice;
import mobile.InvoiceRequest;
import mobile.KeysendRequest;
import mobile.Mobile;
import mobile.Node;
import mobile.OpenChannelRequest;
import mobile.PayInvoiceRequest;
import mobile.Payment;
import mobile.SimulatedChain;
import mobile.SimulatedWallet;
import mobile.StringList;
import mobile.Wallet;

public final class Demo {
	// BOLT 11's "Please send $3 for a cup of coffee to the same peer,
	// within one minute".
	static final String COFFEE = "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh";

	static void check(boolean ok, String what) {
		if (!ok) {
			throw new AssertionError(what);
		}
	}

	// Events records what the node reports.
	static final class Events implements EventListener {
		final List<String> ready = new ArrayList<>();
		final List<String> received = new ArrayList<>();
		final List<String> succeeded = new ArrayList<>();

		public synchronized void onChannelReady(String channelID, String peerID) { ready.add(channelID); }
		public synchronized void onChannelClosed(String channelID, String peerID, String reason) {}
		public synchronized void onPaymentSucceeded(Payment p) { succeeded.add(p.getPaymentHash()); }
		public synchronized void onPaymentFailed(Payment p) {}
		public synchronized void onPaymentReceived(String hash, long amountMsat, boolean keysend, CustomRecords records) {
			StringBuilder b = new StringBuilder(hash + " " + amountMsat + " " + keysend);
			for (long i = 0; i < records.len(); i++) {
				b.append(" ").append(records.get(i).getType()).append("=").append(records.get(i).valueHex());
			}
			received.add(b.toString());
		}
		synchronized int readyCount() { return ready.size(); }
		synchronized int receivedCount() { return received.size(); }
	}

	// JavaChain is a host ChainBackend: it counts the node's calls and
	// hands them to the simulated chain.
	static final class JavaChain implements ChainBackend {
		final SimulatedChain sim;
		int broadcasts, watches;
		JavaChain(SimulatedChain sim) { this.sim = sim; }
		public synchronized void broadcast(String txHex) throws Exception { broadcasts++; sim.broadcast(txHex); }
		public synchronized void broadcastPackage(StringList txs) throws Exception { broadcasts++; sim.broadcastPackage(txs); }
		public long feeRate(int confTarget) throws Exception { return sim.feeRate(confTarget); }
		public synchronized void watchTransaction(String txid, String scriptHex) { watches++; sim.watchTransaction(txid, scriptHex); }
		public synchronized void watchOutput(String outpoint, String scriptHex) { watches++; sim.watchOutput(outpoint, scriptHex); }
	}

	// JavaWallet is a host Wallet: PSBTs pass through Java as base64.
	static final class JavaWallet implements Wallet {
		final SimulatedWallet w;
		int funded;
		JavaWallet(SimulatedWallet w) { this.w = w; }
		public FundedPsbt fundPsbt(FundRequest req) throws Exception {
			check(req.getOutputs().len() >= 0 && !req.unsignedPsbt().isEmpty(), "fund request");
			funded++;
			return w.fundPsbt(req);
		}
		public String signPsbt(String psbt) throws Exception { return w.signPsbt(psbt); }
		public void releaseInputs(String psbt) throws Exception { w.releaseInputs(psbt); }
		public String newScript() throws Exception { return w.newScript(); }
	}

	// dataRoot holds the nodes' data directories (the first argument, or
	// a new temporary directory).
	static java.nio.file.Path dataRoot;

	static Node start(String name, SimulatedChain sim, JavaChain chain, JavaWallet wallet, Events events) throws Exception {
		Config cfg = new Config("regtest", Files.createDirectories(dataRoot.resolve(name)).toString());
		cfg.setSeed(Mobile.seedFromMnemonic(Mobile.newMnemonic(12), ""));
		cfg.setAlias(name);
		cfg.setListenAddress("127.0.0.1:0");
		Node n = new Node(cfg, chain, wallet, events);
		n.start(30000);
		sim.attach(n);
		return n;
	}

	static void waitFor(String what, java.util.function.BooleanSupplier cond) throws Exception {
		long deadline = System.currentTimeMillis() + 30000;
		while (!cond.getAsBoolean()) {
			if (System.currentTimeMillis() > deadline) {
				throw new AssertionError("timed out waiting: " + what);
			}
			Thread.sleep(20);
		}
	}

	public static void main(String[] args) throws Exception {
		dataRoot = args.length > 0 ? java.nio.file.Paths.get(args[0]) : Files.createTempDirectory("lnkit-demo");
		// Without a node.
		DecodedInvoice d = Mobile.decodeInvoice(COFFEE);
		check(d.getAmountMsat() == 250000000L && d.getDescription().equals("1 cup coffee") && d.getExpirySeconds() == 60, "decoded");
		System.out.println("decodeInvoice: " + d.getAmountMsat() + " msat, \"" + d.getDescription() + "\", payee " + d.getDestination());
		try {
			Mobile.decodeInvoice(COFFEE.substring(0, COFFEE.length() - 1) + "q");
			throw new AssertionError("a bad checksum decoded");
		} catch (Exception e) {
			check(Mobile.errorCode(e.getMessage()).equals(Mobile.CodeInvalidInvoice), e.getMessage());
			System.out.println("bad invoice: " + Mobile.errorCode(e.getMessage()));
		}
		byte[] seed = Mobile.seedFromMnemonic("legal winner thank year wave sausage worth useful legal winner thank yellow", "TREZOR");
		check(String.format("%02x%02x", seed[0], seed[1]).equals("2e89"), "BIP 39 seed");

		// Two nodes on a simulated chain, through Java host interfaces.
		SimulatedChain sim = new SimulatedChain();
		sim.setFilteredBlocks(true);
		JavaChain chain = new JavaChain(sim);
		SimulatedWallet aliceCoins = sim.newWallet();
		aliceCoins.fund(5000000);
		JavaWallet aliceWallet = new JavaWallet(aliceCoins);
		Events aliceEvents = new Events(), bobEvents = new Events();
		Node alice = start("alice", sim, chain, aliceWallet, aliceEvents);
		Node bob = start("bob", sim, chain, new JavaWallet(sim.newWallet()), bobEvents);
		System.out.println("nodeID: alice " + alice.nodeID() + ", bob " + bob.nodeID());

		alice.connect(bob.nodeID(), bob.listenAddress(), 10000);
		waitFor("bob sees alice", () -> { try { return bob.listPeers(5000).len() == 1; } catch (Exception e) { return false; } });
		String channel = alice.openChannel(new OpenChannelRequest(bob.nodeID(), 1000000), 30000);
		sim.mine(3);
		waitFor("channel ready", () -> aliceEvents.readyCount() == 1 && bobEvents.readyCount() == 1);

		Invoice inv = bob.createInvoice(new InvoiceRequest(50000000, "a coffee"), 5000);
		Payment pay = alice.payInvoice(new PayInvoiceRequest(inv.getBolt11()), 30000);
		check(pay.getStatus().equals("succeeded"), "payment " + pay.getStatus());
		CustomRecords recs = new CustomRecords();
		recs.addHex(696969, "7468616e6b73");
		KeysendRequest ks = new KeysendRequest(bob.nodeID(), 5000000);
		ks.setRecords(recs);
		check(alice.sendKeysend(ks, 30000).getStatus().equals("succeeded"), "keysend");
		waitFor("bob hears both", () -> bobEvents.receivedCount() == 2);
		// Balances move once the commitments are updated, just after.
		waitFor("bob's balance", () -> { try { return bob.balances(5000).getLightningMsat() == 55000000L; } catch (Exception e) { return false; } });
		check(aliceWallet.funded == 1 && chain.broadcasts >= 1 && chain.watches >= 1, "host calls");
		System.out.println("channel " + channel + " ready; bob received: " + bobEvents.received);
		alice.stop();
		bob.stop();
		System.out.println("OK");
		// Threads the Go runtime attached to the JVM for callbacks are
		// never detached, so the JVM would wait for them; an Android app
		// never reaches this point.
		System.exit(0);
	}
}
