//! The server's errors, each answered as an OpenAI-style error object
//! `{"error": {"message", "type", "param", "code"}}` with its HTTP status.
//! Client mistakes are 4xx; 5xx is only for the server's own failures.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flinch_guardrails::Error as PipelineError;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; `param` names the field.
    #[error("{message}")]
    InvalidRequest {
        param: Option<String>,
        message: String,
        code: Option<&'static str>,
    },
    /// 404: no such route.
    #[error("{message}")]
    NotFound { message: String },
    /// Another refusal at the HTTP level: 405 (wrong method), 413 (body
    /// too large), 415, ….
    #[error("{message}")]
    Http { status: StatusCode, message: String },
    /// 429: the queue is full; try again after `retry_after_s`.
    #[error("the server is busy: {waiting} requests are waiting; retry after {retry_after_s} s")]
    QueueFull { waiting: usize, retry_after_s: u64 },
    /// 504: the answer did not finish within the request deadline.
    #[error("the answer did not finish within the deadline of {deadline_s} s")]
    Timeout { deadline_s: u64 },
    /// 503: the engine thread is gone (the server is shutting down).
    #[error("the engine is not available")]
    Unavailable,
    /// 500: the pipeline failed on a well-formed request.
    #[error("{message}")]
    Internal { message: String },
}

impl ApiError {
    pub fn invalid(param: Option<&str>, message: String) -> Self {
        ApiError::InvalidRequest {
            param: param.map(str::to_owned),
            message,
            code: None,
        }
    }

    pub fn invalid_at(param: String, message: String) -> Self {
        ApiError::InvalidRequest {
            param: Some(param),
            message,
            code: None,
        }
    }

    /// The same error for a field nested in `outer` (`trace` → `flinch.trace`).
    pub fn prefixed(self, outer: &str) -> Self {
        match self {
            ApiError::InvalidRequest {
                param: Some(param),
                message,
                code,
            } => {
                let nested = format!("{outer}.{param}");
                let message = match message.strip_prefix(param.as_str()) {
                    Some(rest) => format!("{nested}{rest}"),
                    None => message,
                };
                ApiError::InvalidRequest {
                    param: Some(nested),
                    message,
                    code,
                }
            }
            other => other,
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            ApiError::InvalidRequest { param, .. } => param.as_deref(),
            _ => None,
        }
    }

    pub fn message(&self) -> String {
        self.to_string()
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Http { status, .. } => *status,
            ApiError::QueueFull { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest { .. } | ApiError::NotFound { .. } | ApiError::Http { .. } => {
                "invalid_request_error"
            }
            ApiError::QueueFull { .. } => "rate_limit_error",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Unavailable | ApiError::Internal { .. } => "server_error",
        }
    }

    fn code(&self) -> Option<&'static str> {
        match self {
            ApiError::InvalidRequest { code, .. } => *code,
            ApiError::QueueFull { .. } => Some("queue_full"),
            ApiError::Timeout { .. } => Some("deadline_exceeded"),
            _ => None,
        }
    }

    /// The error object, also sent as an SSE event when a stream fails.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message(),
                "type": self.kind(),
                "param": self.param(),
                "code": self.code(),
            }
        })
    }
}

impl From<PipelineError> for ApiError {
    /// A conversation or prompt the engine rejects is the client's mistake;
    /// everything else is the server's.
    fn from(e: PipelineError) -> Self {
        use flinch_engine::Error as EngineError;
        match &e {
            PipelineError::Conversation { .. } => {
                ApiError::invalid(Some("messages"), e.to_string())
            }
            PipelineError::Engine(EngineError::PromptTooLong { .. }) => ApiError::InvalidRequest {
                param: Some("messages".to_owned()),
                message: e.to_string(),
                code: Some("context_length_exceeded"),
            },
            PipelineError::Engine(
                EngineError::EmptyPrompt | EngineError::InvalidRequest { .. },
            ) => ApiError::invalid(Some("messages"), e.to_string()),
            _ => ApiError::Internal {
                message: e.to_string(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, "application/json")],
            self.body().to_string(),
        )
            .into_response();
        if let ApiError::QueueFull { retry_after_s, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        response
    }
}
