// binqctl's failures and where it finds the daemon: bad specs (exit 2 with
// the server's message naming the field), unknown jobs (3), no daemon (5),
// and the server address from --server, $BINQ_SERVER and the config file.
#include "tests/client/binqctl_fixture.h"

namespace binq::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_F(BinqctlTest, UnknownTechniqueExitsTwoWithTheServersMessage) {
  StartDaemon();
  const ProcessResult r = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "quaternary"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("binqctl submit: technique: unknown 'quaternary' (known: arb, "));
  EXPECT_THAT(r.err, HasSubstr("braq, col-hbraq, CRB, CRBOG, gptq"));
  EXPECT_THAT(r.out, IsEmpty());
  // Nothing was queued, and the daemon is still up.
  const ProcessResult list = Ctl({"-o", "json", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, IsEmpty());
}

TEST_F(BinqctlTest, BadSpecsExitTwoNamingTheField) {
  StartDaemon();
  // Rejected by the daemon.
  const ProcessResult range = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "CRB",
                                   "--blocksize", "0"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_THAT(range.err, HasSubstr("blocksize: must be ≥ 1, got 0"));
  // Technique flags from the catalog, checked by the daemon against the technique's row.
  const ProcessResult corr = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "CRB",
                                  "--corr-damp", "2"});
  EXPECT_EQ(corr.exit_code, 2);
  EXPECT_THAT(corr.err, HasSubstr("corr_damp: must be in [0, 1), got 2"));
  const ProcessResult foreign = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "braq",
                                     "--wbits", "3"});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_THAT(foreign.err, HasSubstr("wbits: not an option of braq"));
  const ProcessResult typed = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "CRB",
                                   "--lam", "tiny"});  // refused by binqctl itself
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_THAT(typed.err, HasSubstr("lam: must be a number, got 'tiny'"));
  // A model directory that does not exist: NOT_FOUND naming it.
  const ProcessResult missing = Ctl({"submit", "--model", root_ + "/no-such-model", "--technique", "CRB"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("no-such-model"));
  // Rejected by binqctl itself before any call.
  const ProcessResult number = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "CRB",
                                    "--nsamples", "many"});
  EXPECT_EQ(number.exit_code, 2);
  EXPECT_THAT(number.err, HasSubstr("--nsamples: nsamples: 'many' is not an integer"));
  const std::string spec = root_ + "/bad.yaml";
  Write(spec, "model: m\ntechnique: CRB\nlearning_rate: 3\n");
  const ProcessResult key = Ctl({"submit", "-f", spec});
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_THAT(key.err, AllOf(HasSubstr("bad.yaml"), HasSubstr("learning_rate")));
  const ProcessResult no_file = Ctl({"submit", "-f", root_ + "/absent.yaml"});
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_THAT(no_file.err, HasSubstr("absent.yaml"));
  // Usage errors.
  EXPECT_EQ(Ctl({}).exit_code, 2);
  EXPECT_EQ(Ctl({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Ctl({"--output", "xml", "list"}).exit_code, 2);
}

TEST_F(BinqctlTest, UnknownJobExitsThree) {
  StartDaemon();
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"get", "j-000000000000"},
                                             {"watch", "j-000000000000"},
                                             {"cancel", "j-000000000000"},
                                             {"logs", "j-000000000000"},
                                             {"logs", "--events", "j-000000000000"},
                                             {"result", "j-000000000000"}}) {
    const ProcessResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 3) << args[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("j-000000000000")) << args[0];
  }
}

TEST_F(BinqctlTest, NoDaemonExitsFiveWithAClearMessage) {
  const std::string address = absl::StrCat("127.0.0.1:", UnusedPort());
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"list"}, {"get", "j-000000000000"}, {"watch", "j-000000000000"},
           {"submit", "--model", "/m", "--technique", "CRB"}}) {
    std::vector<std::string> argv = {"--server", address};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = CtlBare(argv);
    EXPECT_EQ(r.exit_code, 5) << args[0] << ": " << r.err;
    EXPECT_THAT(r.err, AllOf(HasSubstr("cannot reach binqd at " + address + " (from --server)"),
                             HasSubstr("is it running?")))
        << args[0];
  }
  // Where the address came from is named, so a stale setting is found.
  ProcessResult r = CtlBare({"list"}, {{"BINQ_SERVER", address}});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("cannot reach binqd at " + address + " (from $BINQ_SERVER)"));
  const std::string config = root_ + "/binqctl.yaml";
  Write(config, "server: " + address + "\n");
  r = CtlBare({"list"}, {{"BINQ_CONFIG", config}});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("cannot reach binqd at " + address + " (from " + config + ")"));
}

TEST_F(BinqctlTest, ServerComesFromBinqServerThenTheConfigFile) {
  StartDaemon();
  const std::string id = CtlSubmit("ok");
  const std::string nobody = absl::StrCat("127.0.0.1:", UnusedPort());
  auto lists_the_job = [&](const ProcessResult& r) {
    return r.exit_code == 0 && absl::StrContains(r.out, id);
  };

  // $BINQ_SERVER.
  ProcessResult r = CtlBare({"ls"}, {{"BINQ_SERVER", daemon_->address()}});
  EXPECT_TRUE(lists_the_job(r)) << r.exit_code << " " << r.err;
  // --server wins over $BINQ_SERVER.
  r = CtlBare({"--server", daemon_->address(), "ls"}, {{"BINQ_SERVER", nobody}});
  EXPECT_TRUE(lists_the_job(r)) << r.exit_code << " " << r.err;
  r = CtlBare({"--server", nobody, "ls"}, {{"BINQ_SERVER", daemon_->address()}});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr(nobody));

  // The config file named by $BINQ_CONFIG, YAML or JSON.
  const std::string yaml = root_ + "/binqctl.yaml";
  Write(yaml, "# binqctl settings\nserver: " + daemon_->address() + "\n");
  r = CtlBare({"ls"}, {{"BINQ_CONFIG", yaml}});
  EXPECT_TRUE(lists_the_job(r)) << r.exit_code << " " << r.err;
  const std::string json = root_ + "/binqctl.json";
  Write(json, R"({"server": ")" + daemon_->address() + R"("})");
  r = CtlBare({"ls"}, {{"BINQ_CONFIG", json}});
  EXPECT_TRUE(lists_the_job(r)) << r.exit_code << " " << r.err;
  // $BINQ_SERVER wins over the file.
  Write(yaml, "server: " + nobody + "\n");
  r = CtlBare({"ls"}, {{"BINQ_CONFIG", yaml}, {"BINQ_SERVER", daemon_->address()}});
  EXPECT_TRUE(lists_the_job(r)) << r.exit_code << " " << r.err;
  r = CtlBare({"ls"}, {{"BINQ_CONFIG", yaml}});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr(nobody));

  // $XDG_CONFIG_HOME/binq/binqctl.yaml when $BINQ_CONFIG is not set.
  Write(root_ + "/xdg/binq/binqctl.yaml", "server: " + daemon_->address() + "\n");
  r = CtlBare({"ls"}, {{"BINQ_CONFIG", std::nullopt}, {"XDG_CONFIG_HOME", root_ + "/xdg"}});
  EXPECT_TRUE(lists_the_job(r)) << r.exit_code << " " << r.err;

  // A config file that does not parse: exit 2 naming it.
  Write(yaml, "server: [unclosed\n");
  r = CtlBare({"ls"}, {{"BINQ_CONFIG", yaml}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(yaml));
}

TEST(BinqctlBinaryTest, DoesNotLinkLibtorch) {
  const ProcessResult ldd = RunProcess({"/usr/bin/ldd", BINQCTL_PATH});
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  EXPECT_THAT(ldd.out, HasSubstr("libgrpc++"));  // it did list the libraries
  EXPECT_THAT(ldd.out, ::testing::Not(HasSubstr("torch")));
  EXPECT_THAT(ldd.out, ::testing::Not(HasSubstr("libc10")));
}

}  // namespace
}  // namespace binq::testing
