// TEMPORARY: placeholders until this family is implemented; delete this file when done.
#include "kernels/cuda/cuda_backend.h"
namespace dien::cuda {
void CudaBackend::rnn_scan_forward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws) { fail("rnn_scan_forward", "not implemented yet"); }
void CudaBackend::rnn_scan_backward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, const Tensor& states, const Tensor& ws, const Tensor* g_states, const Tensor* g_last, Tensor& g_gi, Tensor* g_h0, Tensor* g_att, Tensor* g_w_hh, Tensor* g_b_hh) { fail("rnn_scan_backward", "not implemented yet"); }
void CudaBackend::attention_forward(const Tensor& scores, const Tensor& lengths, bool normalize, Tensor& y) { fail("attention_forward", "not implemented yet"); }
void CudaBackend::attention_backward(const Tensor& y, const Tensor& gy, const Tensor& lengths, bool normalize, Tensor& gx) { fail("attention_backward", "not implemented yet"); }
void CudaBackend::aux_bce_forward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps, Tensor& loss) { fail("aux_bce_forward", "not implemented yet"); }
void CudaBackend::aux_bce_backward(const Tensor& p_pos, const Tensor& p_neg, const Tensor& lengths, double eps, const Tensor& g, Tensor& g_pos, Tensor& g_neg) { fail("aux_bce_backward", "not implemented yet"); }
}
