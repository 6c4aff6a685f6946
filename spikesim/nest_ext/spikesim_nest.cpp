/*
 * spikesim_nest.cpp -- NEST extension module of spikesim: registers
 * spikesim_axonal_stdp_synapse (see axonal_stdp_synapse.h). Built and
 * installed by spikesim.nest_ext.install().
 */
#include "nest_extension_interface.h"

#include "axonal_stdp_synapse.h"

namespace spikesim
{
class SpikesimNestModule : public nest::NESTExtensionInterface
{
public:
  void
  initialize() override
  {
    nest::register_connection_model< axonal_stdp_synapse >( "spikesim_axonal_stdp_synapse" );
  }
};
}  // namespace spikesim

// the symbol NEST's module manager looks up (libltdl: <module name>_LTX_module)
spikesim::SpikesimNestModule spikesim_nest_LTX_module;
