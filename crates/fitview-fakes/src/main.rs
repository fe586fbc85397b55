//! `fitview-fakes`: runs the Gemini and xAI fakes on loopback for demos and manual testing.
//!
//! ```text
//! fitview-fakes [--gemini-port 8787] [--xai-port 8788] [--key KEY]
//!               [--gemini-scenario success] [--xai-scenario success]
//! ```
//! Then: `GEMINI_API_KEY=KEY fitview tryon --provider nano-banana --base-url http://127.0.0.1:8787 ...`

use anyhow::{Context, bail};
use fitview_fakes::gemini::{FakeGemini, GeminiScenario};
use fitview_fakes::xai::{FakeXai, XaiScenario};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut gemini_port = 8787;
    let mut xai_port = 8788;
    let mut key = fitview_fakes::TEST_KEY.to_owned();
    let mut gemini_scenario = GeminiScenario::Success;
    let mut xai_scenario = XaiScenario::Success;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--gemini-port" => gemini_port = value()?.parse().context("--gemini-port")?,
            "--xai-port" => xai_port = value()?.parse().context("--xai-port")?,
            "--key" => key = value()?,
            "--gemini-scenario" => {
                gemini_scenario = value()?.parse().map_err(anyhow::Error::msg)?
            }
            "--xai-scenario" => xai_scenario = value()?.parse().map_err(anyhow::Error::msg)?,
            "-h" | "--help" => {
                println!(
                    "fitview-fakes [--gemini-port N] [--xai-port N] [--key KEY] [--gemini-scenario NAME] [--xai-scenario NAME]"
                );
                return Ok(());
            }
            other => bail!("unknown flag {other} (see --help)"),
        }
    }
    let gemini = FakeGemini::start_on(gemini_scenario, &key, gemini_port)
        .await
        .context("starting the Gemini fake")?;
    let xai = FakeXai::start_on(xai_scenario, &key, xai_port)
        .await
        .context("starting the xAI fake")?;
    println!(
        "Gemini fake: {}   (GEMINI_API_KEY={key})",
        gemini.base_url()
    );
    println!("xAI fake:    {}   (XAI_API_KEY={key})", xai.base_url());
    println!(
        "Per request, an `x-fake-scenario` header picks another behaviour; GET {} on either \
         lists the requests it received. Ctrl-C stops.",
        fitview_fakes::RECORDED_REQUESTS_PATH
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
