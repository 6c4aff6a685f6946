/*
 * axonal_stdp_synapse.h -- pair STDP with an axonal delay, for NEST 3.10.
 *
 * Part of spikesim (MIT). Written for spikesim against NEST's extension API
 * (nest::Connection, nest::ArchivingNode); it is not a copy of a NEST model.
 *
 * Timing (spikesim's convention, and Brian2's with a delayed pre pathway): a
 * presynaptic spike emitted at t_pre *arrives* at t_a = t_pre + d, and every
 * pair is timed from the arrival, dt = t_post - t_a.
 *   - At an arrival the weight is depressed by the postsynaptic trace of the
 *     spikes strictly before t_a, then transmitted.
 *   - A postsynaptic spike at t_post >= t_a potentiates by the presynaptic
 *     trace of the arrivals up to t_post (dt = 0 potentiates).
 * NEST's own stdp_synapse treats the delay as dendritic (dt = t_post + d - t_pre).
 *
 * Causality: at send() NEST knows the postsynaptic spikes up to t_pre only, so
 * the depression at t_a = t_pre + d is exact only when d is one time step
 * (d == resolution): then every spike strictly before t_a is known. The
 * synapse refuses any other delay; longer axonal delays are built by relaying
 * the presynaptic spikes through a parrot_neuron (delay d - h) first. The
 * potentiation by postsynaptic spikes in [t_a(k-1), t_a(k)) is applied, in
 * time order and clipped after each, when arrival k is sent (as NEST's
 * stdp_synapse also applies its facilitation lazily).
 *
 * Rule (Song, Miller & Abbott 2000; Morrison, Diesmann & Gerstner 2008), all
 * to all, traces with tau_plus (pre, here) and tau_minus (the postsynaptic
 * neuron's parameter, as in NEST):
 *   additive:        w += A_plus * K_pre ;  w -= A_minus * K_post
 *   multiplicative (multiplicative = 1; 0 is additive):
 *                    w += A_plus * K_pre * (Wmax - w) ;  w -= A_minus * K_post * (w - Wmin)
 * and w is clipped to [Wmin, Wmax] after every change. A_plus, A_minus are in
 * weight units for the additive rule (not relative to Wmax).
 */
#ifndef SPIKESIM_AXONAL_STDP_SYNAPSE_H
#define SPIKESIM_AXONAL_STDP_SYNAPSE_H

#include <cmath>
#include <deque>
#include <string>

#include "common_synapse_properties.h"
#include "connection.h"
#include "connector_model.h"
#include "event.h"
#include "histentry.h"
#include "nest_time.h"

namespace spikesim
{

template < typename targetidentifierT >
class axonal_stdp_synapse : public nest::Connection< targetidentifierT >
{
public:
  typedef nest::CommonSynapseProperties CommonPropertiesType;
  typedef nest::Connection< targetidentifierT > ConnectionBase;

  static constexpr nest::ConnectionModelProperties properties = nest::ConnectionModelProperties::HAS_DELAY
    | nest::ConnectionModelProperties::IS_PRIMARY | nest::ConnectionModelProperties::SUPPORTS_HPC
    | nest::ConnectionModelProperties::SUPPORTS_LBL;

  axonal_stdp_synapse() = default;
  axonal_stdp_synapse( const axonal_stdp_synapse& ) = default;
  axonal_stdp_synapse& operator=( const axonal_stdp_synapse& ) = default;

  using ConnectionBase::get_delay;
  using ConnectionBase::get_delay_steps;
  using ConnectionBase::get_rport;
  using ConnectionBase::get_target;

  void get_status( Dictionary& d ) const;
  void set_status( const Dictionary& d, nest::ConnectorModel& cm );
  bool send( nest::Event& e, size_t tid, const CommonPropertiesType& cp );

  class ConnTestDummyNode : public nest::ConnTestDummyNodeBase
  {
  public:
    using nest::ConnTestDummyNodeBase::handles_test_event;
    size_t
    handles_test_event( nest::SpikeEvent&, size_t ) override
    {
      return nest::invalid_port;
    }
  };

  void
  check_connection( nest::Node& s, nest::Node& t, size_t receptor_type, const CommonPropertiesType& )
  {
    check_delay_( get_delay() );
    ConnTestDummyNode dummy_target;
    ConnectionBase::check_connection_( dummy_target, s, t, receptor_type );
    // this synapse reads the history from t_arrival_ - d on (see send())
    t.register_stdp_connection( t_arrival_ - get_delay(), get_delay() );
  }

  void
  set_weight( double w )
  {
    weight_ = w;
  }

private:
  static void
  check_delay_( double d )
  {
    const double h = nest::Time::get_resolution().get_ms();
    if ( std::fabs( d - h ) > 1e-9 * h )
    {
      throw nest::BadProperty( "spikesim_axonal_stdp_synapse: delay must equal the resolution (one step, "
        + std::to_string( h ) + " ms), got " + std::to_string( d )
        + " ms; relay the presynaptic spikes through a parrot_neuron for longer axonal delays" );
    }
  }

  double
  change_( double w, double amount ) const
  {
    // amount > 0 potentiates, < 0 depresses; clipped to [Wmin, Wmax]
    if ( multiplicative_ == 0.0 )
    {
      w += amount;
    }
    else if ( amount >= 0.0 )
    {
      w += amount * ( Wmax_ - w );
    }
    else
    {
      w += amount * ( w - Wmin_ );
    }
    return w < Wmin_ ? Wmin_ : ( w > Wmax_ ? Wmax_ : w );
  }

  double weight_ = 1.0;
  double tau_plus_ = 20.0;
  double A_plus_ = 0.01;
  double A_minus_ = 0.01;
  double Wmin_ = 0.0;
  double Wmax_ = 100.0;
  double multiplicative_ = 0.0;  // 0: additive, 1: multiplicative (a number: PyNN passes arrays)
  double Kplus_ = 0.0;       // presynaptic trace just after the last arrival
  double t_arrival_ = 0.0;   // time of the last arrival (ms)
};

template < typename targetidentifierT >
constexpr nest::ConnectionModelProperties axonal_stdp_synapse< targetidentifierT >::properties;

template < typename targetidentifierT >
inline bool
axonal_stdp_synapse< targetidentifierT >::send( nest::Event& e, size_t tid, const CommonPropertiesType& )
{
  const double d = get_delay();
  const double t_arrival = e.get_stamp().get_ms() + d;
  nest::Node* target = get_target( tid );

  // potentiation by the postsynaptic spikes in [t_arrival_, t_arrival): with d one step these
  // are the history entries in (t_arrival_ - d, t_arrival - d], all known now
  std::deque< nest::histentry >::iterator post;
  std::deque< nest::histentry >::iterator end;
  target->get_history( t_arrival_ - d, t_arrival - d, &post, &end );
  for ( ; post != end; ++post )
  {
    const double k_pre = Kplus_ * std::exp( ( t_arrival_ - post->t_ ) / tau_plus_ );
    weight_ = change_( weight_, A_plus_ * k_pre );
  }

  // depression by the postsynaptic trace of the spikes strictly before this arrival
  weight_ = change_( weight_, -A_minus_ * target->get_K_value( t_arrival ) );

  e.set_receiver( *target );
  e.set_weight( weight_ );
  e.set_delay_steps( get_delay_steps() );
  e.set_rport( get_rport() );
  e();

  Kplus_ = Kplus_ * std::exp( ( t_arrival_ - t_arrival ) / tau_plus_ ) + 1.0;
  t_arrival_ = t_arrival;
  return true;
}

template < typename targetidentifierT >
void
axonal_stdp_synapse< targetidentifierT >::get_status( Dictionary& d ) const
{
  ConnectionBase::get_status( d );
  d[ "weight" ] = weight_;
  d[ "tau_plus" ] = tau_plus_;
  d[ "A_plus" ] = A_plus_;
  d[ "A_minus" ] = A_minus_;
  d[ "Wmin" ] = Wmin_;
  d[ "Wmax" ] = Wmax_;
  d[ "multiplicative" ] = multiplicative_;
  d[ "Kplus" ] = Kplus_;
  d[ "t_arrival" ] = t_arrival_;
}

template < typename targetidentifierT >
void
axonal_stdp_synapse< targetidentifierT >::set_status( const Dictionary& d, nest::ConnectorModel& cm )
{
  ConnectionBase::set_status( d, cm );
  double weight = weight_, tau_plus = tau_plus_, a_plus = A_plus_, a_minus = A_minus_;
  double wmin = Wmin_, wmax = Wmax_, kplus = Kplus_, t_arrival = t_arrival_;
  double multiplicative = multiplicative_;
  d.update_value( "weight", weight );
  d.update_value( "tau_plus", tau_plus );
  d.update_value( "A_plus", a_plus );
  d.update_value( "A_minus", a_minus );
  d.update_value( "Wmin", wmin );
  d.update_value( "Wmax", wmax );
  d.update_value( "multiplicative", multiplicative );
  d.update_value( "Kplus", kplus );
  d.update_value( "t_arrival", t_arrival );
  if ( multiplicative != 0.0 and multiplicative != 1.0 )
  {
    throw nest::BadProperty( "multiplicative must be 0 (additive) or 1, got " + std::to_string( multiplicative ) );
  }
  if ( not( tau_plus > 0.0 ) )
  {
    throw nest::BadProperty( "tau_plus must be > 0 ms, got " + std::to_string( tau_plus ) );
  }
  if ( not( a_plus >= 0.0 ) or not( a_minus >= 0.0 ) )
  {
    throw nest::BadProperty( "A_plus and A_minus must be >= 0, got " + std::to_string( a_plus ) + " and "
      + std::to_string( a_minus ) );
  }
  if ( not( wmin <= wmax ) )
  {
    throw nest::BadProperty( "Wmin must be <= Wmax, got " + std::to_string( wmin ) + " > " + std::to_string( wmax ) );
  }
  if ( not( kplus >= 0.0 ) )
  {
    throw nest::BadProperty( "Kplus must be >= 0, got " + std::to_string( kplus ) );
  }
  if ( not std::isfinite( t_arrival ) )
  {
    throw nest::BadProperty( "t_arrival must be finite, got " + std::to_string( t_arrival ) );
  }
  weight_ = weight;
  t_arrival_ = t_arrival;
  tau_plus_ = tau_plus;
  A_plus_ = a_plus;
  A_minus_ = a_minus;
  Wmin_ = wmin;
  Wmax_ = wmax;
  multiplicative_ = multiplicative;
  Kplus_ = kplus;
}

}  // namespace spikesim

#endif
