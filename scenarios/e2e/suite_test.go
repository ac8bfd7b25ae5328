//go:build e2e

package e2e

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	. "github.com/onsi/gomega"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tidemark/tidemark/internal/scheme"
	"github.com/tidemark/tidemark/scenarios"
	"github.com/tidemark/tidemark/scenarios/faults"
	"github.com/tidemark/tidemark/scenarios/report"
)

// The suite's settings, all from the environment (make e2e sets them).
const (
	envKubeconfig = "TIDEMARK_E2E_KUBECONFIG"     // the cluster (required)
	envImage      = "TIDEMARK_E2E_POSTGRES_IMAGE" // the database image loaded into the nodes (required)
	envRepeats    = "TIDEMARK_E2E_REPEATS"        // trials per fault (default 5)
	envArtifacts  = "TIDEMARK_E2E_ARTIFACTS"      // report and artifacts folder
	envNodePorts  = "TIDEMARK_E2E_NODE_PORTS"     // rw NodePorts the cluster publishes on 127.0.0.1
)

// suite is what every spec shares, set up once.
var suite struct {
	cfg       *rest.Config
	client    client.Client
	clientset kubernetes.Interface
	executor  *faults.Executor
	timeouts  scenarios.Timeouts
	repeats   int
	artifacts string
	repo      *configRepo
	tidemark  *tidemarkProcess
	recorder  *report.Recorder
	started   time.Time
}

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tidemark resilience suite")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suite.started = time.Now()
	readSettings()
	connect()

	By("building tidemark and starting it on the suite's config repo")
	suite.repo = newConfigRepo(filepath.Join(suite.artifacts, "config-repo"))
	suite.repo.writeDatabases(initialParameters())
	suite.repo.commit("scenario databases")
	suite.tidemark = startTidemark(ctx, suite.repo, requiredEnv(envImage), getenv(envNodePorts, "30090-30099"))

	By("waiting until every scenario database is ready")
	for _, db := range scenarioDatabases {
		waitDatabaseReady(ctx, db.name, suite.timeouts.Get("ready"))
		ensureProbeServices(ctx, db.name)
	}
	// A cluster kept from an earlier run may be restarting members for the
	// parameters this run's first commit put back; no trial starts then
	// (each waits for a settled database).
}, NodeTimeout(30*time.Minute))

var _ = AfterSuite(func(ctx SpecContext) {
	if suite.tidemark != nil {
		suite.tidemark.stop()
	}
}, NodeTimeout(time.Minute))

// ReportAfterSuite writes the JUnit file and the suite's own report,
// whatever happened.
var _ = ReportAfterSuite("reports", func(r Report) {
	if suite.artifacts == "" {
		return
	}
	Expect(os.MkdirAll(suite.artifacts, 0o755)).To(Succeed())
	Expect(reporters.GenerateJUnitReport(r, filepath.Join(suite.artifacts, "junit.xml"))).To(Succeed())
	if suite.recorder != nil {
		Expect(report.WriteFiles(suite.artifacts, suite.recorder.Run(time.Now()))).To(Succeed())
	}
	fmt.Fprintf(GinkgoWriter, "report: %s\n", filepath.Join(suite.artifacts, "report.md"))
})

func readSettings() {
	// The artifacts folder first: the reports of a run that stops on a
	// bad setting still go there.
	suite.artifacts = getenv(envArtifacts, filepath.Join(os.TempDir(), "tidemark-e2e-"+suite.started.Format("20060102-150405")))
	Expect(os.MkdirAll(suite.artifacts, 0o755)).To(Succeed())

	var err error
	suite.timeouts, err = scenarios.DefaultTimeouts().Override(os.Getenv(scenarios.TimeoutsEnv))
	Expect(err).NotTo(HaveOccurred())

	suite.repeats = 5
	if v := os.Getenv(envRepeats); v != "" {
		suite.repeats, err = strconv.Atoi(v)
		Expect(err).NotTo(HaveOccurred(), envRepeats)
		Expect(suite.repeats).To(BeNumerically(">", 0), envRepeats)
	}

	label := "nightly"
	if Label("smoke").MatchesLabelFilter(GinkgoLabelFilter()) && !Label("nightly").MatchesLabelFilter(GinkgoLabelFilter()) {
		label = "smoke"
	}
	suite.recorder = report.NewRecorder(label, tidemarkVersion(), suite.started)
	fmt.Fprintf(GinkgoWriter, "artifacts and report: %s\n", suite.artifacts)
}

func connect() {
	ctrllog.SetLogger(GinkgoLogr) // API warnings (Endpoints are deprecated) go to the spec's output
	kubeconfig := requiredEnv(envKubeconfig)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	cfg.QPS, cfg.Burst = -1, 0
	// Reading Patroni's Endpoints draws a deprecation warning per request.
	cfg.WarningHandler = rest.NoWarnings{}
	suite.cfg = cfg

	s := scheme.New()
	utilruntime.Must(chaosv1alpha1.AddToScheme(s))
	suite.client, err = client.New(cfg, client.Options{Scheme: s})
	Expect(err).NotTo(HaveOccurred())
	suite.clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())

	log := slog.New(slog.NewTextHandler(GinkgoWriter, nil))
	suite.executor, err = faults.NewExecutor(cfg, suite.client, log)
	Expect(err).NotTo(HaveOccurred())
}

func requiredEnv(name string) string {
	v := os.Getenv(name)
	Expect(v).NotTo(BeEmpty(), "%s is not set; run the suite with make e2e or make e2e-smoke", name)
	return v
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
