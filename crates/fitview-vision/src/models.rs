//! The model files: embedded bytes, their SHA-256, and loading them into tract plans.

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::error::{Result, VisionError};

/// An optimised, runnable tract model.
pub(crate) type Plan = Arc<TypedRunnableModel>;

/// One model this crate uses.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    /// File name under `models/`.
    pub name: &'static str,
    /// Hex SHA-256 of the file.
    pub sha256: &'static str,
    bytes: &'static [u8],
}

impl ModelFile {
    /// The bytes built into this crate.
    pub fn embedded(&self) -> &'static [u8] {
        self.bytes
    }
}

/// BlazePose detector (person box and ROI keypoints).
pub const POSE_DETECTION: ModelFile = ModelFile {
    name: "pose_detection.onnx",
    sha256: "d0848484c350285cb91471eacae9129212d8c41864c24bfcedab39fbd21a29ab",
    bytes: include_bytes!("../models/pose_detection.onnx"),
};

/// BlazePose GHUM full (33 body points, person mask).
pub const POSE_LANDMARK: ModelFile = ModelFile {
    name: "pose_landmark_full.onnx",
    sha256: "3562e1524a0e40ade4c4bb31ffe23290409707297553e198c146c62b0057015c",
    bytes: include_bytes!("../models/pose_landmark_full.onnx"),
};

/// MediaPipe face mesh (468 points).
pub const FACE_LANDMARK: ModelFile = ModelFile {
    name: "face_landmark.onnx",
    sha256: "6227e8b3fb52a8466eb86e2368bf0e73a0da6c08e67953c86abd1cbdbc1e0e0c",
    bytes: include_bytes!("../models/face_landmark.onnx"),
};

/// U²-Net small (salient-object mask, used for garments).
pub const U2NETP: ModelFile = ModelFile {
    name: "u2netp.onnx",
    sha256: "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
    bytes: include_bytes!("../models/u2netp.onnx"),
};

/// Every model, in load order.
pub const ALL: [ModelFile; 4] = [POSE_DETECTION, POSE_LANDMARK, FACE_LANDMARK, U2NETP];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `bytes` against the model's digest.
pub(crate) fn check(model: &ModelFile, bytes: &[u8]) -> Result<()> {
    let found = hex(&Sha256::digest(bytes));
    if found != model.sha256 {
        return Err(VisionError::ModelHash {
            model: model.name,
            expected: model.sha256,
            found,
        });
    }
    Ok(())
}

/// Checks and loads `bytes` as `model`, with the input shape fixed to `input` when given.
pub(crate) fn load(model: &ModelFile, bytes: &[u8], input: Option<&[usize]>) -> Result<Plan> {
    check(model, bytes)?;
    let fail = |e: TractError| VisionError::ModelLoad {
        model: model.name,
        reason: format!("{e:#}"),
    };
    let mut reader = std::io::Cursor::new(bytes);
    let mut inference = tract_onnx::onnx()
        .model_for_read(&mut reader)
        .map_err(fail)?;
    if let Some(shape) = input {
        inference = inference
            .with_input_fact(0, f32::fact(shape).into())
            .map_err(fail)?;
    }
    inference
        .into_typed()
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(fail)
}

/// Runs `plan` on one input and returns its outputs as flat `f32` vectors with their shapes.
pub(crate) fn run(
    model: &ModelFile,
    plan: &Plan,
    input: Tensor,
) -> Result<Vec<(Vec<usize>, Vec<f32>)>> {
    let fail = |e: TractError| VisionError::Inference {
        model: model.name,
        reason: format!("{e:#}"),
    };
    let outputs = plan.run(tvec!(input.into())).map_err(fail)?;
    outputs
        .iter()
        .map(|t| {
            let view = t.to_plain_array_view::<f32>().map_err(fail)?;
            Ok((t.shape().to_vec(), view.iter().copied().collect()))
        })
        .collect()
}

/// The output `index` of `outputs`, checked to hold `len` values.
pub(crate) fn output<'a>(
    model: &ModelFile,
    outputs: &'a [(Vec<usize>, Vec<f32>)],
    index: usize,
    len: usize,
) -> Result<&'a [f32]> {
    match outputs.get(index) {
        Some((_, v)) if v.len() == len => Ok(v),
        Some((shape, _)) => Err(VisionError::Inference {
            model: model.name,
            reason: format!("output {index} has shape {shape:?}, expected {len} values"),
        }),
        None => Err(VisionError::Inference {
            model: model.name,
            reason: format!("no output {index}"),
        }),
    }
}
